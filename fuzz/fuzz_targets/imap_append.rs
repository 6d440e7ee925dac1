//! IMAP commands with literals, APPEND first: any byte stream is cut into commands the way the
//! session reads them (a line, and for each `{N}`, `{N+}` or `~{N}` it ends with, N octets and
//! the next line; a literal over the limit is refused before it is read) and each command is
//! parsed. Parsing never panics, and each message of an APPEND (several for MULTIAPPEND), and
//! each TEXT part of a CATENATE, is exactly the octets of one literal the framing read, in order.
#![no_main]

use imap_proto::command::{AppendData, CatPart, Command, LineEnd, line_end, parse};
use libfuzzer_sys::fuzz_target;

/// The session's limit for a literal outside APPEND (and the slack beyond a literal).
const MAX_LITERAL: u64 = 64 * 1024;
/// The message size limit standing in for the configured one.
const MAX_MESSAGE: u64 = 1 << 20;
/// Messages' worth of octets one MULTIAPPEND may carry, as in the session.
const MAX_APPEND_MESSAGES: u64 = 4;

/// The same test as the session's: is the command's second word APPEND?
fn is_append(command: &[u8]) -> bool {
    let mut words = command.splitn(3, |&b| b == b' ');
    let _tag = words.next();
    words.next().is_some_and(|name| name.eq_ignore_ascii_case(b"APPEND"))
}

/// One framed command: its bytes and where each literal's octets lie in them.
struct Framed {
    command: Vec<u8>,
    literals: Vec<(usize, usize)>,
    /// The stream ended inside it (the session would not parse it).
    truncated: bool,
}

/// Reads the next command from `input`, as the session's `read_command` does; `None` when the
/// stream is empty or a non-synchronizing literal over the limit closes the connection.
fn next_command(input: &mut &[u8]) -> Option<Framed> {
    let mut framed = Framed { command: Vec::new(), literals: Vec::new(), truncated: false };
    loop {
        if input.is_empty() {
            framed.truncated = true;
            return (!framed.command.is_empty()).then_some(framed);
        }
        let end = memchr::memchr(b'\n', input).unwrap_or(input.len());
        let mut line = &input[..end];
        *input = &input[(end + 1).min(input.len())..];
        line = line.strip_suffix(b"\r").unwrap_or(line);
        framed.command.extend_from_slice(line);
        framed.command.extend_from_slice(b"\r\n");
        let LineEnd::Literal { length, synchronizing } = line_end(line) else { return Some(framed) };
        let append = is_append(&framed.command);
        let limit = if append { MAX_MESSAGE } else { MAX_LITERAL };
        let total = if append { limit * MAX_APPEND_MESSAGES } else { limit };
        if length > limit || framed.command.len() as u64 + length > total + MAX_LITERAL {
            // A refused synchronizing literal is never sent; a refused LITERAL+ ends the session.
            return synchronizing.then(|| Framed { command: Vec::new(), literals: Vec::new(), truncated: true });
        }
        let take = (length as usize).min(input.len());
        framed.literals.push((framed.command.len(), take));
        framed.command.extend_from_slice(&input[..take]);
        *input = &input[take..];
        if take < length as usize {
            framed.truncated = true;
            return Some(framed);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // An even first byte makes the stream start as an APPEND, so most inputs exercise it.
    let stream = match data.split_first() {
        Some((first, rest)) if first % 2 == 0 => [b"a APPEND ", rest].concat(),
        _ => data.to_vec(),
    };
    let mut input = stream.as_slice();
    while let Some(framed) = next_command(&mut input) {
        let parsed = parse(&framed.command);
        if framed.truncated {
            continue;
        }
        if let Ok(tagged) = parsed {
            assert!(!tagged.tag.is_empty() && framed.command.starts_with(tagged.tag.as_bytes()));
            if let Command::Append { messages, .. } = &tagged.command {
                assert!(!messages.is_empty(), "an APPEND without a message");
                let mut literals = framed.literals.iter();
                for m in messages {
                    let texts: Vec<&[u8]> = match &m.data {
                        AppendData::Literal(message) => vec![message],
                        AppendData::Catenate(parts) => parts
                            .iter()
                            .filter_map(|p| match p {
                                CatPart::Text(text) => Some(&text[..]),
                                CatPart::Url(_) => None,
                            })
                            .collect(),
                    };
                    for text in texts {
                        assert!(
                            literals.any(|&(at, len)| framed.command[at..at + len] == text[..]),
                            "an APPEND message or TEXT part is not one of the literals read, in order"
                        );
                    }
                }
            }
        }
    }
});
