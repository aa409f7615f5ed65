//! Token attacks over HTTP: each answers 401 problem+json with a Bearer challenge and
//! writes nothing. RS256 with the test-only RSA keys in `tests/fixtures/`.

use crate::helpers::{send, Resp};
use crate::support::*;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use efa_api::auth::{DevKey, DEFAULT_AUDIENCE, DEV_ISSUER};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A JWKS with the fixture RSA key and the per-test Ed25519 dev key.
fn mixed_jwks(key: &DevKey) -> String {
    let mut rsa: Value = serde_json::from_str(&fixture("test_rsa_jwks.json")).unwrap();
    let dev: Value = serde_json::from_str(&key.jwks()).unwrap();
    rsa["keys"].as_array_mut().unwrap().push(dev["keys"][0].clone());
    rsa.to_string()
}

/// Valid claims of an NRW provider_publisher, as plain JSON so tests can break them.
fn claims_json() -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": "rsa-publisher", "org": nrw(), "roles": ["provider_publisher"],
        "iss": DEV_ISSUER, "aud": DEFAULT_AUDIENCE, "exp": now + 3600, "nbf": now - 10, "iat": now - 10
    })
}

fn rs256(claims: &Value, pem: &str, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).expect("RSA PEM")).expect("sign RS256")
}

fn signed(claims: &Value) -> String {
    rs256(claims, &fixture("test_rsa_private.pem"), Some("test-rsa-1"))
}

/// POST a valid listing with this Authorization header value.
async fn post_with<S, B>(app: &S, authorization: Option<&str>, name: &str) -> Resp
where
    S: Service<crate::helpers::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut req = TestRequest::post().uri("/api/v1/online-services").set_json(listing(&nrw(), name, 10092));
    if let Some(a) = authorization {
        req = req.insert_header(("authorization", a));
    }
    send(app, req).await
}

fn b64(v: &Value) -> String {
    B64URL.encode(v.to_string())
}

mod rsa_and_attacks {
    use super::*;

    async fn run(backend: efa_store::Backend) {
        let key = DevKey::generate().unwrap();
        let jwks = mixed_jwks(&key);
        let (w, app) = start_with_jwks(backend, key, &jwks).await;
        let app = &app;

        // Baselines: an RS256 token signed with the fixture key and an EdDSA dev token both work.
        let r = post_with(app, Some(&format!("Bearer {}", signed(&claims_json()))), "Tokentest RS256").await;
        assert_eq!(r.status.as_u16(), 201, "RS256 token: {}", r.text());
        let r = post_with(app, Some(&format!("Bearer {}", rs256(&claims_json(), &fixture("test_rsa_private.pem"), None))), "Tokentest RS256 ohne kid").await;
        assert_eq!(r.status.as_u16(), 201, "RS256 token without kid: {}", r.text());
        let r = post_with(app, Some(&format!("Bearer {}", w.nrw_publisher())), "Tokentest EdDSA").await;
        assert_eq!(r.status.as_u16(), 201, "EdDSA token: {}", r.text());
        // iat is optional (the conventions do not ask for it; identity providers may omit it).
        let mut without_iat = claims_json();
        without_iat.as_object_mut().unwrap().remove("iat");
        let r = post_with(app, Some(&format!("Bearer {}", signed(&without_iat))), "Tokentest ohne iat").await;
        assert_eq!(r.status.as_u16(), 201, "token without iat: {}", r.text());
        let before = w.counts();

        let valid = signed(&claims_json());
        let (header, payload, signature) = {
            let mut parts = valid.split('.');
            (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned())
        };
        let with = |f: &dyn Fn(&mut Value)| {
            let mut c = claims_json();
            f(&mut c);
            signed(&c)
        };
        let now = chrono::Utc::now().timestamp();
        let mut operator_payload: Value = serde_json::from_slice(&B64URL.decode(&payload).unwrap()).unwrap();
        operator_payload["roles"] = json!(["operator"]);
        let mut coordinator = w.claims("coordinator", &nrw(), &[Role::LandCoordinator]);
        coordinator.land = None;
        let mut unknown_role = w.claims("someone", &nrw(), &[]);
        unknown_role.roles = vec!["superuser".into()];

        let attacks: Vec<(&str, String)> = vec![
            ("alg none", format!("Bearer {}.{payload}.", b64(&json!({"alg": "none", "typ": "JWT"})))),
            ("alg none, kept signature", format!("Bearer {}.{payload}.{signature}", b64(&json!({"alg": "none", "typ": "JWT", "kid": "test-rsa-1"})))),
            (
                "HS256 with the JWKS as secret",
                format!("Bearer {}", jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims_json(), &EncodingKey::from_secret(jwks.as_bytes())).unwrap()),
            ),
            (
                "HS256 with the RSA public PEM as secret",
                format!("Bearer {}", jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims_json(), &EncodingKey::from_secret(fixture("test_rsa_public.pem").as_bytes())).unwrap()),
            ),
            ("RS256 header on an EdDSA signature", {
                let t = w.nrw_publisher();
                let rest = t.split_once('.').unwrap().1;
                format!("Bearer {}.{rest}", b64(&json!({"alg": "RS256", "typ": "JWT", "kid": "test-rsa-1"})))
            }),
            ("signed by another RSA key, same kid", format!("Bearer {}", rs256(&claims_json(), &fixture("test_rsa_other_private.pem"), Some("test-rsa-1")))),
            ("signed by another RSA key, no kid", format!("Bearer {}", rs256(&claims_json(), &fixture("test_rsa_other_private.pem"), None))),
            ("expired", format!("Bearer {}", with(&|c| c["exp"] = json!(now - 3600)))),
            ("not yet valid", format!("Bearer {}", with(&|c| c["nbf"] = json!(now + 3600)))),
            ("wrong issuer", format!("Bearer {}", with(&|c| c["iss"] = json!("https://evil.example")))),
            ("wrong audience", format!("Bearer {}", with(&|c| c["aud"] = json!("another-api")))),
            ("tampered payload (role flipped, signature kept)", format!("Bearer {header}.{}.{signature}", b64(&operator_payload))),
            ("tampered signature", format!("Bearer {header}.{payload}.{}", B64URL.encode(B64URL.decode(&signature).unwrap().iter().map(|b| b ^ 1).collect::<Vec<u8>>()))),
            ("no signature", format!("Bearer {header}.{payload}.")),
            ("missing org claim", format!("Bearer {}", with(&|c| { c.as_object_mut().unwrap().remove("org"); }))),
            ("missing sub claim", format!("Bearer {}", with(&|c| { c.as_object_mut().unwrap().remove("sub"); }))),
            ("missing exp claim", format!("Bearer {}", with(&|c| { c.as_object_mut().unwrap().remove("exp"); }))),
            ("missing nbf claim", format!("Bearer {}", with(&|c| { c.as_object_mut().unwrap().remove("nbf"); }))),
            ("issued in the future (iat an hour ahead)", format!("Bearer {}", with(&|c| c["iat"] = json!(now + 3600)))),
            ("iat not a number", format!("Bearer {}", with(&|c| c["iat"] = json!("gestern")))),
            ("missing roles claim", format!("Bearer {}", with(&|c| { c.as_object_mut().unwrap().remove("roles"); }))),
            ("no role at all", format!("Bearer {}", with(&|c| c["roles"] = json!([])))),
            ("unknown role", format!("Bearer {}", w.mint(&unknown_role))),
            ("land_coordinator without land", format!("Bearer {}", w.mint(&coordinator))),
            ("land not a Land code", format!("Bearer {}", with(&|c| c["land"] = json!("99")))),
            ("non-ASCII role (echoed in the challenge)", format!("Bearer {}", with(&|c| c["roles"] = json!(["bürgermeister\"\r\nX-Injected: 1"])))),
            ("unknown kid", format!("Bearer {}", rs256(&claims_json(), &fixture("test_rsa_private.pem"), Some("somebody-else")))),
            ("Basic scheme", "Basic dXNlcjpwYXNz".to_owned()),
            ("Bearer without token", "Bearer".to_owned()),
            ("Bearer with blank token", "Bearer    ".to_owned()),
            ("token without scheme", valid.clone()),
            ("garbage token", "Bearer not.a.jwt".to_owned()),
            ("two dots only", "Bearer ..".to_owned()),
        ];
        for (what, authorization) in &attacks {
            let r = post_with(app, Some(authorization), "Tokentest Angriff").await;
            assert_eq!(r.status.as_u16(), 401, "{what}: {}", r.text());
            let p = assert_unauthorized(&r);
            let challenge = r.header("www-authenticate").unwrap();
            assert!(challenge.bytes().all(|b| (0x20..0x7f).contains(&b)), "{what}: challenge must be printable ASCII: {challenge:?}");
            assert!(r.header("x-injected").is_none(), "{what}");
            assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}");
        }
        // A non-ASCII Authorization header is malformed too.
        let req = TestRequest::post()
            .uri("/api/v1/online-services")
            .set_json(listing(&nrw(), "Tokentest", 10092))
            .insert_header(("authorization", actix_web::http::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap()));
        assert_unauthorized(&send(app, req).await);
        assert_eq!(w.counts(), before, "no refused token wrote anything");

        // The same tokens on a read that needs a token, and on the public catalogue: a token
        // that is sent must be valid, it is never silently ignored.
        for (what, authorization) in attacks.iter().take(5) {
            for uri in ["/api/v1/audit-events", "/api/v1/online-services"] {
                let r = send(app, TestRequest::get().uri(uri).insert_header(("authorization", authorization.as_str()))).await;
                assert_eq!(r.status.as_u16(), 401, "{what} on {uri}");
                assert_unauthorized(&r);
            }
        }
    }

    #[actix_web::test]
    async fn sqlite() {
        run(efa_store::Backend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        run(efa_store::Backend::Postgres).await;
    }
}
