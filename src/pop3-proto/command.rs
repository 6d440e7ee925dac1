//! POP3 command lines (RFC 1939 section 3; RFC 2449, 2595, 5034) parsed into [`Command`].

/// A parsed POP3 command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `USER name`.
    User(String),
    /// `PASS password` (the rest of the line, spaces included).
    Pass(String),
    /// `AUTH [mechanism [initial-response]]`; no mechanism lists them.
    Auth {
        /// The SASL mechanism, if given.
        mechanism: Option<String>,
        /// The base64 initial response, if given.
        initial: Option<String>,
    },
    /// `CAPA`.
    Capa,
    /// `STLS`.
    Stls,
    /// `STAT`.
    Stat,
    /// `LIST [msg]`.
    List(Option<u32>),
    /// `UIDL [msg]`.
    Uidl(Option<u32>),
    /// `RETR msg`.
    Retr(u32),
    /// `TOP msg n`.
    Top(u32, u32),
    /// `DELE msg`.
    Dele(u32),
    /// `NOOP`.
    Noop,
    /// `RSET`.
    Rset,
    /// `QUIT`.
    Quit,
}

/// Why a line is not a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Not a command we know.
    #[error("unknown command")]
    Unknown,
    /// Wrong arguments; the text says what was expected.
    #[error("syntax: {0}")]
    Syntax(&'static str),
}

impl Command {
    /// Parses one line without its line ending.
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        let line = std::str::from_utf8(line).map_err(|_| CommandError::Syntax("not UTF-8"))?;
        if line.contains('\0') {
            return Err(CommandError::Syntax("NUL in command"));
        }
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        let args: Vec<&str> = rest.split(' ').filter(|a| !a.is_empty()).collect();
        let none = |cmd: Command| if args.is_empty() { Ok(cmd) } else { Err(CommandError::Syntax("no arguments")) };
        match keyword.to_ascii_uppercase().as_str() {
            "USER" => match args[..] {
                [name] => Ok(Command::User(name.to_string())),
                _ => Err(CommandError::Syntax("USER name")),
            },
            "PASS" if !rest.is_empty() => Ok(Command::Pass(rest.to_string())),
            "PASS" => Err(CommandError::Syntax("PASS password")),
            "AUTH" => match args[..] {
                [] => Ok(Command::Auth { mechanism: None, initial: None }),
                [m] => Ok(Command::Auth { mechanism: Some(m.to_string()), initial: None }),
                [m, i] => Ok(Command::Auth { mechanism: Some(m.to_string()), initial: Some(i.to_string()) }),
                _ => Err(CommandError::Syntax("AUTH mechanism [initial-response]")),
            },
            "CAPA" => none(Command::Capa),
            "STLS" => none(Command::Stls),
            "STAT" => none(Command::Stat),
            "NOOP" => none(Command::Noop),
            "RSET" => none(Command::Rset),
            "QUIT" => none(Command::Quit),
            "LIST" => optional_number(&args, "LIST [msg]").map(Command::List),
            "UIDL" => optional_number(&args, "UIDL [msg]").map(Command::Uidl),
            "RETR" => one_number(&args, "RETR msg").map(Command::Retr),
            "DELE" => one_number(&args, "DELE msg").map(Command::Dele),
            "TOP" => match args[..] {
                [msg, lines] => Ok(Command::Top(number(msg, "TOP msg n")?, number(lines, "TOP msg n")?)),
                _ => Err(CommandError::Syntax("TOP msg n")),
            },
            _ => Err(CommandError::Unknown),
        }
    }
}

fn number(arg: &str, usage: &'static str) -> Result<u32, CommandError> {
    if arg.is_empty() || !arg.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CommandError::Syntax(usage));
    }
    arg.parse().map_err(|_| CommandError::Syntax(usage))
}

fn one_number(args: &[&str], usage: &'static str) -> Result<u32, CommandError> {
    match args {
        [n] => number(n, usage),
        _ => Err(CommandError::Syntax(usage)),
    }
}

fn optional_number(args: &[&str], usage: &'static str) -> Result<Option<u32>, CommandError> {
    match args {
        [] => Ok(None),
        [n] => number(n, usage).map(Some),
        _ => Err(CommandError::Syntax(usage)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command() {
        let cases = [
            ("USER alice@example.com", Command::User("alice@example.com".into())),
            ("pass secret with spaces ", Command::Pass("secret with spaces ".into())),
            ("AUTH", Command::Auth { mechanism: None, initial: None }),
            ("AUTH PLAIN", Command::Auth { mechanism: Some("PLAIN".into()), initial: None }),
            (
                "AUTH PLAIN AGEAYg==",
                Command::Auth { mechanism: Some("PLAIN".into()), initial: Some("AGEAYg==".into()) },
            ),
            ("capa", Command::Capa),
            ("STLS", Command::Stls),
            ("STAT", Command::Stat),
            ("LIST", Command::List(None)),
            ("LIST 2", Command::List(Some(2))),
            ("UIDL", Command::Uidl(None)),
            ("uidl 7", Command::Uidl(Some(7))),
            ("RETR 1", Command::Retr(1)),
            ("TOP 1 10", Command::Top(1, 10)),
            ("DELE 3", Command::Dele(3)),
            ("NOOP", Command::Noop),
            ("RSET", Command::Rset),
            ("QUIT", Command::Quit),
        ];
        for (line, want) in cases {
            assert_eq!(Command::parse(line.as_bytes()), Ok(want), "{line}");
        }
    }

    #[test]
    fn refuses_bad_lines() {
        for (line, want) in [
            (&b"XTND"[..], CommandError::Unknown),
            (b"RETR", CommandError::Syntax("RETR msg")),
            (b"RETR -1", CommandError::Syntax("RETR msg")),
            (b"RETR 99999999999", CommandError::Syntax("RETR msg")),
            (b"TOP 1", CommandError::Syntax("TOP msg n")),
            (b"LIST 1 2", CommandError::Syntax("LIST [msg]")),
            (b"STAT now", CommandError::Syntax("no arguments")),
            (b"PASS", CommandError::Syntax("PASS password")),
            (b"USER a\0b", CommandError::Syntax("NUL in command")),
            (b"USER \xff", CommandError::Syntax("not UTF-8")),
        ] {
            assert_eq!(Command::parse(line), Err(want), "{}", String::from_utf8_lossy(line));
        }
    }
}
