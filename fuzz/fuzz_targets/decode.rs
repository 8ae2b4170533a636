//! Fuzzes the decoder: no input may panic, hang or allocate without bound, and whatever
//! decodes must encode and decode again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = femtocwmp::DecodeLimits::new().with_max_elements(50_000);
    if let Ok(env) = femtocwmp::decode_with(data, &limits) {
        let bytes = femtocwmp::encode(&env);
        femtocwmp::decode(&bytes).expect("what we encode decodes");
    }
});
