//! SMTP command lines: parsing any bytes must return a command or a typed error, never panic,
//! and every parsed address must print back as something that parses to the same address.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_proto::{Command, Mailbox};

fuzz_target!(|line: &[u8]| {
    if let Ok(Command::Rcpt { to, .. } | Command::Mail { from: Some(to), .. }) = Command::parse(line)
        && !to.domain.is_empty()
    {
        assert_eq!(Mailbox::parse(&to.to_string()).as_ref(), Ok(&to));
    }
});
