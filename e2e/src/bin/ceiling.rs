//! The "ceiling" for `make bench`: a bare actix-web server that answers every
//! GET with one constant JSON body, built once at start. The real service's
//! throughput is reported as a ratio to this number on the same machine.
//!
//! Usage: ceiling --bind 127.0.0.1:PORT --body-bytes N

use actix_web::{
    http::{header::ContentType, Method},
    web, App, HttpRequest, HttpResponse, HttpServer,
};

struct Args {
    bind: String,
    body_bytes: usize,
}

fn usage() -> ! {
    eprintln!("usage: ceiling --bind HOST:PORT [--body-bytes N]");
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut bind = None;
    let mut body_bytes = 1024usize;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next()).unwrap_or_else(|| usage());
        match key.as_str() {
            "--bind" => bind = Some(value()),
            "--body-bytes" => {
                body_bytes = value().parse().unwrap_or_else(|_| {
                    eprintln!("ceiling: --body-bytes needs a non-negative integer");
                    std::process::exit(2)
                })
            }
            "-h" | "--help" => usage(),
            other => {
                eprintln!("ceiling: unknown argument {other:?}");
                usage()
            }
        }
    }
    Args {
        bind: bind.unwrap_or_else(|| usage()),
        body_bytes,
    }
}

/// A valid JSON document of exactly `n` bytes when `n` is at least the size of
/// the empty skeleton, otherwise the skeleton itself:
/// `{"items":[{"id":0,"name":"xxxx"},…],"pad":"xxx"}`.
fn build_body(n: usize) -> String {
    const HEAD: &str = r#"{"items":["#;
    const TAIL_PREFIX: &str = r#"],"pad":""#;
    const TAIL_SUFFIX: &str = r#""}"#;
    let fixed = HEAD.len() + TAIL_PREFIX.len() + TAIL_SUFFIX.len();
    let mut body = String::with_capacity(n.max(fixed));
    body.push_str(HEAD);
    let mut i = 0usize;
    loop {
        let item = format!(
            r#"{}{{"id":{i},"name":"Leistung {i} fuer den Ceiling-Vergleich"}}"#,
            if i == 0 { "" } else { "," }
        );
        if body.len() + item.len() + fixed - HEAD.len() > n {
            break;
        }
        body.push_str(&item);
        i += 1;
    }
    body.push_str(TAIL_PREFIX);
    let pad = n.saturating_sub(body.len() + TAIL_SUFFIX.len());
    body.extend(std::iter::repeat('x').take(pad));
    body.push_str(TAIL_SUFFIX);
    body
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = parse_args();
    let body = web::Bytes::from(build_body(args.body_bytes));
    eprintln!(
        "ceiling: listening on {} with a {}-byte JSON body",
        args.bind,
        body.len()
    );
    HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move |req: HttpRequest| {
            let body = body.clone();
            async move {
                if req.method() != Method::GET && req.method() != Method::HEAD {
                    return HttpResponse::MethodNotAllowed().finish();
                }
                HttpResponse::Ok()
                    .insert_header(ContentType::json())
                    .body(body)
            }
        }))
    })
    .bind(&args.bind)?
    .run()
    .await
}
