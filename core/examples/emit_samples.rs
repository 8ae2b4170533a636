//! Writes the encoding of every sample envelope (`femtocwmp::samples::all_envelopes`) to the
//! directory given as argument, one file per envelope, for schema validation.
fn main() {
    let dir = std::env::args().nth(1).expect("usage: emit_samples DIR");
    std::fs::create_dir_all(&dir).expect("create output dir");
    let envs = femtocwmp::samples::all_envelopes();
    for (i, env) in envs.iter().enumerate() {
        let name = format!(
            "{dir}/{i:03}-{}-{}.xml",
            env.version.as_str().replace('.', "_"),
            env.body.method_name()
        );
        std::fs::write(&name, femtocwmp::encode(env)).expect("write sample");
    }
    println!("{} envelopes written to {dir}", envs.len());
}
