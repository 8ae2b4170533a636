//! Decodes each file given on the command line and prints its JSON form.
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("readable file");
        match femtocwmp::decode(&bytes) {
            Ok(env) => println!("{path}: {}", serde_json::to_string(&env).unwrap()),
            Err(e) => println!("{path}: ERROR {e}"),
        }
    }
}
