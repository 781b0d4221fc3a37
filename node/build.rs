fn main() {
    // embed_migrations! cannot tell cargo that an .sql file changed.
    println!("cargo:rerun-if-changed=migrations");
}
