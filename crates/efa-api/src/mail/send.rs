//! How a mail leaves: over SMTP (lettre's blocking transport, in the mail thread), or — with
//! no SMTP server configured, as with `make run` — into the log.

use efa_store::mail::MailRow;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{Address, Message, SmtpTransport, Transport as _};
use std::time::Duration;

/// Why a mail did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth trying again later (server unreachable, 4xx).
    Temporary(String),
    /// Refused for good (5xx, an address that is no address): not tried again.
    Permanent(String),
}

/// Where mails go.
pub trait Transport: Send + Sync {
    fn send(&self, mail: &MailRow) -> Result<(), SendError>;
}

/// Whether `s` is an e-mail address a mail can be sent to.
pub fn valid_address(s: &str) -> bool {
    s.parse::<Address>().is_ok()
}

/// An SMTP server.
pub struct Smtp {
    transport: SmtpTransport,
    from: Mailbox,
}

/// How long one SMTP conversation may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl Smtp {
    /// `url` in lettre's form: `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS); `from` a mailbox (`Name <a@b.de>`).
    pub fn new(url: &str, from: &str) -> anyhow::Result<Smtp> {
        let transport = SmtpTransport::from_url(url).map_err(|e| anyhow::anyhow!("EFA_SMTP_URL is not a usable SMTP URL: {e}"))?.timeout(Some(SMTP_TIMEOUT)).build();
        let from = from.parse::<Mailbox>().map_err(|e| anyhow::anyhow!("EFA_MAIL_FROM is not a mailbox like \"EfA-Marktplatz <marktplatz@example.de>\": {e}"))?;
        Ok(Smtp { transport, from })
    }
}

impl Transport for Smtp {
    fn send(&self, m: &MailRow) -> Result<(), SendError> {
        let to = m.to_address.parse::<Address>().map_err(|e| SendError::Permanent(format!("not an address: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(m.subject.clone())
            // The mail's own id: a receiver can tell a resent copy (after a crash mid-send).
            .message_id(Some(format!("<{}@efa-marktplatz>", m.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(m.body_text.clone())
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))?;
        self.transport.send(&message).map(|_| ()).map_err(|e| if e.is_permanent() { SendError::Permanent(e.to_string()) } else { SendError::Temporary(e.to_string()) })
    }
}

/// No SMTP server: each mail is written to the log, in full, and counts as sent.
pub struct Log;

impl Transport for Log {
    fn send(&self, m: &MailRow) -> Result<(), SendError> {
        // The body quoted: one log line per mail.
        tracing::info!(to = %m.to_address, subject = %m.subject, body = ?m.body_text, "e-mail (no SMTP server configured, EFA_SMTP_URL: written to the log)");
        Ok(())
    }
}
