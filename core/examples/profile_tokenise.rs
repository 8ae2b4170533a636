//! Tokenises one file many times with bare quick-xml (the bench reference, for profilers):
//! `profile_tokenise FILE [ITERATIONS]`.
#[path = "../benches/reference/mod.rs"]
mod reference;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: profile_tokenise FILE [ITERATIONS]");
    let n: usize = args.next().map_or(500, |s| s.parse().expect("a number"));
    let bytes = std::fs::read(path).expect("readable file");
    let mut events = 0usize;
    for _ in 0..n {
        events += reference::tokenise(&bytes);
    }
    println!("{events}");
}
