//! The reference every codec figure is measured against: bare quick-xml tokenisation
//! (`Reader::read_event` over the same borrowed bytes, default configuration, until EOF),
//! the floor any quick-xml based decoder stands on. One definition, shared by the codec and
//! session benches and the `profile_tokenise` example, so that they all measure the same.

use std::hint::black_box;

use quick_xml::events::Event;
use quick_xml::Reader;

/// Reads every event of `bytes` and returns how many there were.
pub fn tokenise(bytes: &[u8]) -> usize {
    let mut reader = Reader::from_reader(bytes);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return n,
            Ok(e) => {
                black_box(&e);
                n += 1
            }
            Err(e) => panic!("tokenise: {e}"),
        }
    }
}
