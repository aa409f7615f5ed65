//! "Mein Konto": the login records the user with the address the development login was given
//! (the identity provider's `email` claim in production), and the user turns e-mail
//! notifications off and on again, the GOV.UK way (303 and a message, errors at the field).

use crate::shop_test;
use crate::support::location;
use actix_web::http::StatusCode;

const SUBJECT: &str = "dev:land_coordinator:";

fn user(s: &crate::support::Browser<'_, impl Sized>) -> efa_store::mail::UserRecord {
    let id = format!("{SUBJECT}{}", efa_store::seed::seed_id("land", "05"));
    efa_store::mail::find_user(&mut s.db.conn(), &id).expect("read users").expect("the login recorded the user")
}

shop_test!(the_login_records_the_address_and_the_account_page_turns_mails_off_and_on, |s| {
    // A malformed address is refused at its field, the other values kept.
    let form = s.page("/anmelden").await;
    let bad = s.post("/anmelden", &form, &[("organisation", "05"), ("role", "land_coordinator"), ("email", "koordination at nrw"), ("zurueck", "/")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.assert_error_summary(), ["email"]);
    assert_eq!(bad.attr("#f-email", "value"), "koordination at nrw");
    assert_eq!(bad.attr("#f-organisation", "value"), "05");

    let ok = s.post("/anmelden", &bad, &[("organisation", "05"), ("role", "land_coordinator"), ("email", " koordination@nrw.example "), ("zurueck", "/")]).await;
    assert_eq!(location(&ok), "/");
    let u = user(&s);
    assert_eq!((u.email.as_deref(), u.land_code.as_deref(), u.roles.as_str(), u.mail_opt_out), (Some("koordination@nrw.example"), Some("05"), "land_coordinator", false));

    // The header links to the account page; it shows the address and mails wanted.
    let home = s.page("/").await;
    assert_eq!(home.attr("#account-link", "href"), "/konto");
    let konto = s.page("/konto").await;
    assert_eq!(konto.text("h1"), "Mein Konto");
    assert_eq!(konto.text("#konto-email"), "koordination@nrw.example");
    assert_eq!(konto.text("#konto-rollen"), "Landeskoordination");
    assert!(konto.has("#f-benachrichtigungen[checked]"), "{}", konto.body);
    assert_eq!(konto.attr("label[for=f-benachrichtigungen]", "for"), "f-benachrichtigungen");

    // Unticked and saved: no more mails.
    let saved = s.post("/konto", &konto, &[]).await;
    assert_eq!(location(&saved), "/konto");
    assert!(user(&s).mail_opt_out);
    let konto = s.page("/konto").await;
    assert!(konto.text(".flash").contains("keine E-Mail-Benachrichtigungen mehr"), "{}", konto.body);
    assert!(!konto.has("#f-benachrichtigungen[checked]"));

    // A value the form never sends: the error at the field.
    let odd = s.post("/konto", &konto, &[("benachrichtigungen", "vielleicht")]).await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    assert_eq!(odd.assert_error_summary(), ["benachrichtigungen"]);
    assert!(user(&s).mail_opt_out, "unchanged");

    // Ticked again; a later login without an address keeps the one known and the choice made.
    assert_eq!(location(&s.post("/konto", &odd, &[("benachrichtigungen", "ja")]).await), "/konto");
    assert!(!user(&s).mail_opt_out);
    assert!(s.page("/konto").await.has("#f-benachrichtigungen[checked]"));
    s.login("05", "land_coordinator").await;
    let u = user(&s);
    assert_eq!((u.email.as_deref(), u.mail_opt_out), (Some("koordination@nrw.example"), false));
});

shop_test!(the_account_page_needs_a_login, |s| {
    let p = s.get("/konto").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&p), "/anmelden?zurueck=/konto");
});
