//! A tiny reader of IMAP response data (RFC 3501 9: NIL, numbers, quoted strings, literals,
//! parenthesized lists) and checks of the ENVELOPE and BODY/BODYSTRUCTURE grammar on top.

/// One IMAP value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Nil,
    Number(u64),
    Str(Vec<u8>),
    List(Vec<Value>),
}

/// Reads exactly one value from `input` (nothing may follow it).
pub fn read(input: &[u8]) -> Result<Value, String> {
    let mut reader = Reader { input, pos: 0 };
    let value = reader.value()?;
    if reader.pos != input.len() {
        return Err(format!("junk after the value at {}", reader.pos));
    }
    Ok(value)
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'(') => self.list(),
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            Some(b'N') if self.input[self.pos..].starts_with(b"NIL") => {
                self.pos += 3;
                Ok(Value::Nil)
            }
            Some(b'0'..=b'9') => Ok(Value::Number(self.number()?)),
            other => Err(format!("unexpected {:?} at {}", other.map(char::from), self.pos)),
        }
    }

    fn list(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut items: Vec<Value> = Vec::new();
        loop {
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    return Ok(Value::List(items));
                }
                None => return Err("unbalanced parentheses".into()),
                Some(b' ') if !items.is_empty() => self.pos += 1,
                // Bodies of a multipart and addresses of a list follow each other directly.
                Some(b'(') if matches!(items.last(), Some(Value::List(_))) => {}
                Some(_) if items.is_empty() => {}
                Some(_) => return Err(format!("missing space at {}", self.pos)),
            }
            items.push(self.value()?);
        }
    }

    fn quoted(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let b = self.peek().ok_or("unterminated quoted string")?;
            self.pos += 1;
            match b {
                b'"' => return Ok(Value::Str(out)),
                b'\\' => match self.peek() {
                    Some(e @ (b'"' | b'\\')) => {
                        out.push(e);
                        self.pos += 1;
                    }
                    _ => return Err("bad escape".into()),
                },
                b'\r' | b'\n' | 0 | 0x80..=0xff => return Err(format!("octet {b:#x} in quoted string")),
                _ => out.push(b),
            }
        }
    }

    fn literal(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let len = self.number()? as usize;
        if !self.input[self.pos..].starts_with(b"}\r\n") {
            return Err("bad literal".into());
        }
        self.pos += 3;
        let bytes = self.input.get(self.pos..self.pos + len).ok_or("short literal")?.to_vec();
        self.pos += len;
        Ok(Value::Str(bytes))
    }

    fn number(&mut self) -> Result<u64, String> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        std::str::from_utf8(&self.input[start..self.pos]).unwrap().parse().map_err(|e| format!("number: {e}"))
    }
}

fn is_nstring(v: &Value) -> bool {
    matches!(v, Value::Nil | Value::Str(_))
}

fn list(v: &Value) -> Result<&[Value], String> {
    match v {
        Value::List(items) => Ok(items),
        other => Err(format!("expected a list, got {other:?}")),
    }
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(format!("bad {what}")) }
}

/// An ENVELOPE: ten fields, six of them address lists.
pub fn check_envelope(v: &Value) -> Result<(), String> {
    let items = list(v)?;
    expect(items.len() == 10, "envelope length")?;
    for i in [0, 1, 8, 9] {
        expect(is_nstring(&items[i]), "envelope string")?;
    }
    for addresses in &items[2..8] {
        if *addresses != Value::Nil {
            for a in list(addresses)? {
                let fields = list(a)?;
                expect(fields.len() == 4 && fields.iter().all(is_nstring), "address")?;
            }
        }
    }
    Ok(())
}

/// A BODY (`extensible` false) or BODYSTRUCTURE; returns the number of parts it describes.
pub fn check_body(v: &Value, extensible: bool) -> Result<usize, String> {
    let items = list(v)?;
    let children = items.iter().take_while(|i| matches!(i, Value::List(_))).count();
    if children > 0 {
        let mut parts = 1;
        for child in &items[..children] {
            parts += check_body(child, extensible)?;
        }
        let rest = &items[children..];
        expect(matches!(rest.first(), Some(Value::Str(_))), "multipart subtype")?;
        if extensible {
            expect(rest.len() == 5, "multipart extension length")?;
            check_params(&rest[1])?;
            check_extension(&rest[2..])?;
        } else {
            expect(rest.len() == 1, "multipart BODY length")?;
        }
        return Ok(parts);
    }
    expect(items.len() >= 7, "basic fields")?;
    let (Value::Str(media), Value::Str(subtype)) = (&items[0], &items[1]) else { return Err("type".into()) };
    check_params(&items[2])?;
    expect(is_nstring(&items[3]) && is_nstring(&items[4]), "id/description")?;
    expect(matches!(items[5], Value::Str(_)) && matches!(items[6], Value::Number(_)), "encoding/size")?;
    let mut at = 7;
    let mut parts = 1;
    let media = String::from_utf8_lossy(media).to_ascii_uppercase();
    let subtype = String::from_utf8_lossy(subtype).to_ascii_uppercase();
    if media == "MESSAGE" && (subtype == "RFC822" || subtype == "GLOBAL") {
        check_envelope(items.get(7).ok_or("envelope")?)?;
        parts += check_body(items.get(8).ok_or("body")?, extensible)?;
        expect(matches!(items.get(9), Some(Value::Number(_))), "message lines")?;
        at = 10;
    } else if media == "TEXT" {
        expect(matches!(items.get(7), Some(Value::Number(_))), "text lines")?;
        at = 8;
    }
    if extensible {
        expect(items.len() == at + 4, "single part extension length")?;
        expect(is_nstring(&items[at]), "md5")?;
        check_extension(&items[at + 1..])?;
    } else {
        expect(items.len() == at, "BODY length")?;
    }
    Ok(parts)
}

fn check_params(v: &Value) -> Result<(), String> {
    if *v == Value::Nil {
        return Ok(());
    }
    let items = list(v)?;
    expect(!items.is_empty() && items.len() % 2 == 0 && items.iter().all(|i| matches!(i, Value::Str(_))), "params")
}

/// `dsp lang loc`.
fn check_extension(items: &[Value]) -> Result<(), String> {
    if items[0] != Value::Nil {
        let dsp = list(&items[0])?;
        expect(dsp.len() == 2 && matches!(dsp[0], Value::Str(_)), "disposition")?;
        check_params(&dsp[1])?;
    }
    if let Value::List(tags) = &items[1] {
        expect(!tags.is_empty() && tags.iter().all(|t| matches!(t, Value::Str(_))), "language list")?;
    } else {
        expect(is_nstring(&items[1]), "language")?;
    }
    expect(is_nstring(&items[2]), "location")
}

#[test]
fn reads_and_checks_rfc_examples() {
    let body = br#"(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")"#;
    assert_eq!(check_body(&read(body).unwrap(), false), Ok(3));
    assert!(read(b"(\"a\"\"b\")").is_err());
    assert!(read(b"(NIL").is_err());
    assert_eq!(read(b"{3}\r\na\"b"), Ok(Value::Str(b"a\"b".to_vec())));
    assert!(check_body(&read(b"(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1)").unwrap(), false).is_err());
}
