//! Property tests: generated schema-valid envelopes survive encode -> decode unchanged, and
//! no mutation of real messages makes the decoder panic.

mod strategies;

use femtocwmp::{check, decode, encode, DecodeLimits};
use proptest::prelude::*;

fn corpus() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_decode_is_identity(env in strategies::envelope()) {
        prop_assert!(check(&env).is_empty(), "generated envelope is invalid: {:?}", check(&env));
        let bytes = encode(&env);
        let back = decode(&bytes).map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&bytes))))?;
        prop_assert_eq!(&back.header, &env.header);
        prop_assert_eq!(&back.body, &env.body);
        prop_assert_eq!(back.namespace, env.namespace);
        prop_assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        prop_assert_eq!(encode(&back), bytes);
    }

    #[test]
    fn mutated_corpus_never_panics(
        file in 0usize..29,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let corpus = corpus();
        let mut bytes = corpus[file % corpus.len()].clone();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let len = cut.index(bytes.len() + 1);
        bytes.truncate(len);
        let limits = DecodeLimits::new().with_max_elements(10_000);
        if let Ok(env) = femtocwmp::decode_with(&bytes, &limits) {
            // whatever decodes also encodes and decodes again
            let again = decode(&encode(&env));
            prop_assert!(again.is_ok(), "{:?}", again);
        }
    }
}
