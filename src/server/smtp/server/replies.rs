//! Every fixed SMTP reply, and the one place where errors become replies.

use crate::routing::RouteError;
use smtp_proto::command::CommandError;
use smtp_proto::data::DataError;
use smtp_proto::{Mailbox, Reply, Status};

/// `250 2.0.0 OK`.
pub fn ok() -> Reply {
    Reply::new(250, Status(2, 0, 0), "OK")
}

/// `221` at QUIT.
pub fn bye() -> Reply {
    Reply::new(221, Status(2, 0, 0), "Bye")
}

/// `503` for a command out of order.
pub fn bad_sequence(what: &'static str) -> Reply {
    Reply::new(503, Status(5, 5, 1), what)
}

/// `500` for an overlong command line.
pub fn line_too_long() -> Reply {
    Reply::new(500, Status(5, 5, 2), "Line too long")
}

/// `503` when a client pipelines without having been offered PIPELINING.
pub fn improper_pipelining() -> Reply {
    Reply::new(503, Status(5, 5, 0), "Improper use of SMTP command pipelining")
}

/// `421` after too many errors.
pub fn too_many_errors() -> Reply {
    Reply::new(421, Status(4, 7, 0), "Too many errors, closing connection")
}

/// `421` when the client was silent for too long.
pub fn timeout() -> Reply {
    Reply::new(421, Status(4, 4, 2), "Timeout exceeded, closing connection")
}

/// `421` when the server is stopping.
pub fn shutting_down() -> Reply {
    Reply::new(421, Status(4, 3, 2), "Service shutting down, try again later")
}

/// `552` for a message over the size limit.
pub fn too_large() -> Reply {
    Reply::new(552, Status(5, 3, 4), "Message size exceeds fixed maximum message size")
}

/// `452` for one recipient too many (RFC 5321 section 4.5.3.1.10).
pub fn too_many_recipients() -> Reply {
    Reply::new(452, Status(4, 5, 3), "Too many recipients")
}

/// `553` for a non-ASCII address without SMTPUTF8.
pub fn needs_smtputf8() -> Reply {
    Reply::new(553, Status(5, 6, 7), "Non-ASCII address requires SMTPUTF8")
}

/// `552 5.2.2` for a recipient whose account is over its storage quota (RFC 9208's STORAGE).
pub fn mailbox_full(rcpt: &Mailbox) -> Reply {
    Reply::new(552, Status(5, 2, 2), format!("<{rcpt}>: mailbox full"))
}

/// `451` when the store could not take the message.
pub fn storage_failure() -> Reply {
    Reply::new(451, Status(4, 3, 0), "Temporary storage failure, try again later")
}

/// The reply for a line the parser rejected.
pub fn for_command_error(error: &CommandError) -> Reply {
    match error {
        CommandError::Unknown => Reply::new(500, Status(5, 5, 1), "Command not recognized"),
        CommandError::BadCharacters => Reply::new(500, Status(5, 5, 2), "Invalid characters in command"),
        CommandError::Syntax(expected) => Reply::new(501, Status(5, 5, 4), format!("Syntax: {expected}")),
        CommandError::Address(e) => Reply::new(501, Status(5, 1, 3), format!("Bad address syntax: {e}")),
        CommandError::UnsupportedParam(p) => Reply::new(555, Status(5, 5, 4), format!("Unsupported parameter {p}")),
        CommandError::BadParamValue(p) => Reply::new(501, Status(5, 5, 4), format!("Bad value for {p}")),
    }
}

/// The reply for a recipient that routing refused.
pub fn for_route_error(rcpt: &Mailbox, error: &RouteError) -> Reply {
    match error {
        RouteError::UnknownUser => {
            Reply::new(550, Status(5, 1, 1), format!("<{rcpt}>: Recipient address rejected: User unknown"))
        }
        RouteError::RelayDenied => Reply::new(550, Status(5, 7, 1), format!("<{rcpt}>: Relay access denied")),
        RouteError::AliasLoop => Reply::new(550, Status(5, 4, 6), format!("<{rcpt}>: Alias loop")),
        RouteError::Suppressed(reason) => Reply::new(
            550,
            Status(5, 1, 1),
            format!("<{rcpt}>: Recipient address rejected: it bounced before ({reason})"),
        ),
        RouteError::Store(e) => {
            tracing::warn!("recipient lookup failed: {e}");
            Reply::new(451, Status(4, 3, 0), "Temporary lookup failure, try again later")
        }
    }
}

/// The reply for a DATA transfer that completed but cannot be accepted.
pub fn for_data_error(error: DataError) -> Reply {
    match error {
        DataError::TooLarge => too_large(),
        DataError::Nul => Reply::new(554, Status(5, 6, 0), "Message contains NUL characters"),
    }
}
