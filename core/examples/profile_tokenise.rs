//! Tokenises one file many times with bare quick-xml (the bench reference, for profilers):
//! `profile_tokenise FILE [ITERATIONS]`.
use quick_xml::events::Event;
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: profile_tokenise FILE [ITERATIONS]");
    let n: usize = args.next().map_or(500, |s| s.parse().expect("a number"));
    let bytes = std::fs::read(path).expect("readable file");
    let mut events = 0usize;
    for _ in 0..n {
        let mut r = quick_xml::Reader::from_reader(&bytes[..]);
        loop {
            match r.read_event().expect("well-formed") {
                Event::Eof => break,
                e => {
                    std::hint::black_box(&e);
                    events += 1
                }
            }
        }
    }
    println!("{events}");
}
