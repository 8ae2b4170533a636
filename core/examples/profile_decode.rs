//! Decodes one file many times (for profilers): `profile_decode FILE [ITERATIONS]`.
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: profile_decode FILE [ITERATIONS]");
    let n: usize = args.next().map_or(500, |s| s.parse().expect("a number"));
    let bytes = std::fs::read(path).expect("readable file");
    let mut total = 0;
    for _ in 0..n {
        total += std::hint::black_box(femtocwmp::decode(&bytes).expect("decodes"))
            .warnings
            .len();
    }
    println!("{total}");
}
