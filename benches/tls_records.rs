//! The TLS record path and handshakes, in memory (no sockets): what rustls with the ring provider
//! costs per byte of mail and per connection, with the same kind of key ringmail makes for itself
//! (ECDSA P-256).
//!
//! Run with `cargo bench --bench tls_records`; criterion reports GiB/s for records and
//! handshakes per second.

use std::io::{Read, Write};
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection};

fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let made = rcgen::generate_simple_self_signed(vec!["mx.bench.test".to_string()]).unwrap();
    let cert = CertificateDer::from(made.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

/// Moves every pending TLS byte from `from` to `to`.
fn transfer(from: &mut Connection, to: &mut Connection) {
    let mut wire = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut wire).unwrap();
    }
    let mut slice = &wire[..];
    while !slice.is_empty() {
        to.read_tls(&mut slice).unwrap();
        to.process_new_packets().unwrap();
    }
}

fn connect(server: &Arc<ServerConfig>, client: &Arc<ClientConfig>) -> (Connection, Connection) {
    let name = ServerName::try_from("mx.bench.test").unwrap();
    let mut c = Connection::from(ClientConnection::new(client.clone(), name).unwrap());
    let mut s = Connection::from(ServerConnection::new(server.clone()).unwrap());
    while c.is_handshaking() || s.is_handshaking() {
        transfer(&mut c, &mut s);
        transfer(&mut s, &mut c);
    }
    (c, s)
}

fn handshakes(c: &mut Criterion) {
    let (server, client) = configs();
    let mut group = c.benchmark_group("tls_handshake");
    group.throughput(Throughput::Elements(1));
    group.bench_function("tls13_ecdsa_p256_full", |b| b.iter(|| black_box(connect(&server, &client))));
    group.finish();
}

fn records(c: &mut Criterion) {
    let (server, client) = configs();
    let mut group = c.benchmark_group("tls_records");
    for size in [4 * 1024, 64 * 1024] {
        let payload = vec![b'x'; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("client_to_server", size), &payload, |b, payload| {
            let (mut c, mut s) = connect(&server, &client);
            let mut received = vec![0u8; size];
            b.iter(|| {
                // One TLS record (at most 16 KiB) at a time, as a session reads it.
                for (chunk, out) in payload.chunks(16 * 1024).zip(received.chunks_mut(16 * 1024)) {
                    c.writer().write_all(chunk).unwrap();
                    transfer(&mut c, &mut s);
                    s.reader().read_exact(out).unwrap();
                }
                black_box(&received);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, records, handshakes);
criterion_main!(benches);
