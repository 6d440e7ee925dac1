//! DNS messages on the wire, through `hickory-proto`: building a query with EDNS0, and checking
//! that a response answers exactly that query before anything in it is believed. Queries set the
//! AD bit (RFC 6840 section 5.7), so that a validating resolver says whether it validated the
//! answer without sending the signatures along.

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use super::DnsError;

/// The UDP payload size we advertise (the DNS flag day 2020 value, safe from fragmentation).
pub const EDNS_PAYLOAD: u16 = 1232;

/// A response that matched its query.
#[derive(Debug)]
pub struct Response {
    /// The response code.
    pub code: ResponseCode,
    /// The answer section.
    pub answers: Vec<Record>,
    /// Set when the server cut the answer short (retry over TCP).
    pub truncated: bool,
    /// The AD bit: the resolver says it validated the answer with DNSSEC (believe it only of
    /// a validating resolver on a trusted path).
    pub authentic: bool,
    /// For a negative answer: how long it may be cached (RFC 2308: the SOA's minimum, capped
    /// by the SOA record's own TTL).
    pub negative_ttl: Option<u32>,
}

/// A recursive query for `name`/`rtype` with message id `id`.
pub fn query(id: u16, name: &Name, rtype: RecordType) -> Result<Vec<u8>, DnsError> {
    let mut message = Message::new();
    message.set_id(id).set_message_type(MessageType::Query).set_op_code(OpCode::Query).set_recursion_desired(true);
    message.set_authentic_data(true);
    message.add_query(Query::query(name.clone(), rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    message.set_edns(edns);
    message.to_vec().map_err(|e| DnsError::Malformed(e.to_string()))
}

/// Parses `bytes` as the response to query `id` for `name`/`rtype`; anything else is refused.
pub fn response(bytes: &[u8], id: u16, name: &Name, rtype: RecordType) -> Result<Response, DnsError> {
    let message = Message::from_vec(bytes).map_err(|e| DnsError::Malformed(e.to_string()))?;
    if message.id() != id || message.message_type() != MessageType::Response {
        return Err(DnsError::Malformed("not the response to our query".into()));
    }
    let asked = message.queries();
    if asked.len() != 1 || asked[0].query_type() != rtype || asked[0].name() != name {
        return Err(DnsError::Malformed("the response is for another question".into()));
    }
    let negative_ttl = message.name_servers().iter().find_map(|r| match r.data() {
        RData::SOA(soa) => Some(soa.minimum().min(r.ttl())),
        _ => None,
    });
    let (truncated, code, authentic) = (message.truncated(), message.response_code(), message.authentic_data());
    let mut message = message;
    Ok(Response { code, answers: message.take_answers(), truncated, authentic, negative_ttl })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use hickory_proto::rr::rdata::{A, MX, SOA};

    use super::*;

    fn name(s: &str) -> Name {
        Name::from_str(s).unwrap()
    }

    fn answer_to(query_bytes: &[u8], edit: impl FnOnce(&mut Message)) -> Vec<u8> {
        let q = Message::from_vec(query_bytes).unwrap();
        let mut m = Message::new();
        m.set_id(q.id()).set_message_type(MessageType::Response).add_query(q.queries()[0].clone());
        edit(&mut m);
        m.to_vec().unwrap()
    }

    #[test]
    fn a_matching_answer_is_parsed() {
        let n = name("example.com.");
        let q = query(77, &n, RecordType::MX).unwrap();
        let parsed = Message::from_vec(&q).unwrap();
        assert!(parsed.recursion_desired());
        assert!(parsed.authentic_data(), "asks whether the answer validated");
        assert_eq!(parsed.extensions().as_ref().unwrap().max_payload(), EDNS_PAYLOAD);
        let r = answer_to(&q, |m| {
            m.add_answer(Record::from_rdata(n.clone(), 300, RData::MX(MX::new(10, name("mx.example.com.")))));
        });
        let got = response(&r, 77, &n, RecordType::MX).unwrap();
        assert_eq!(got.code, ResponseCode::NoError);
        assert_eq!(got.answers.len(), 1);
        assert!(!got.truncated);
        assert!(!got.authentic);
        let r = answer_to(&q, |m| {
            m.set_authentic_data(true);
        });
        assert!(response(&r, 77, &n, RecordType::MX).unwrap().authentic);
    }

    #[test]
    fn answers_to_other_questions_are_refused() {
        let n = name("example.com.");
        let q = query(1, &n, RecordType::A).unwrap();
        let r = answer_to(&q, |m| {
            m.add_answer(Record::from_rdata(n.clone(), 60, RData::A(A::new(192, 0, 2, 1))));
        });
        assert!(response(&r, 2, &n, RecordType::A).is_err(), "wrong id");
        assert!(response(&r, 1, &name("evil.example."), RecordType::A).is_err(), "wrong name");
        assert!(response(&r, 1, &n, RecordType::AAAA).is_err(), "wrong type");
        assert!(response(&q, 1, &n, RecordType::A).is_err(), "a query is not a response");
        assert!(response(b"\x00\x01garbage", 1, &n, RecordType::A).is_err());
    }

    #[test]
    fn negative_ttl_comes_from_the_soa() {
        let n = name("nothing.example.");
        let q = query(9, &n, RecordType::A).unwrap();
        let r = answer_to(&q, |m| {
            m.set_response_code(ResponseCode::NXDomain);
            let soa = SOA::new(name("ns.example."), name("host.example."), 1, 3600, 600, 86400, 120);
            m.add_name_server(Record::from_rdata(name("example."), 60, RData::SOA(soa)));
        });
        let got = response(&r, 9, &n, RecordType::A).unwrap();
        assert_eq!(got.code, ResponseCode::NXDomain);
        assert_eq!(got.negative_ttl, Some(60), "min(SOA minimum, SOA TTL)");
    }
}
