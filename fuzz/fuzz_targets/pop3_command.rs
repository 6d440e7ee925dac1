//! POP3 command lines: parsing any bytes must return a command or a typed error, never panic;
//! message numbers parse only from digits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3_proto::command::Command;

fuzz_target!(|line: &[u8]| {
    if let Ok(Command::Retr(n) | Command::Dele(n) | Command::Top(n, _)) = Command::parse(line) {
        let text = String::from_utf8_lossy(line);
        assert!(text.contains(&n.to_string()));
    }
});
