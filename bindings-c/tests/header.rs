//! The committed header's version macros match the crate version.

#[test]
fn header_version_matches_cargo() {
    let header = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../include/femtocwmp.h"
    ))
    .expect("include/femtocwmp.h");
    let v = env!("CARGO_PKG_VERSION");
    let mut parts = v.split('.');
    for (name, want) in ["MAJOR", "MINOR", "PATCH"].iter().zip(parts.by_ref()) {
        let line = format!("#define FEMTOCWMP_VERSION_{name} {want}");
        assert!(header.contains(&line), "header lacks `{line}`");
    }
    assert!(header.contains(&format!("#define FEMTOCWMP_VERSION \"{v}\"")));
}
