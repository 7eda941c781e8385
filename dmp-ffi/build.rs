//! The shared library's SONAME on ELF platforms: `libdmp.so.0.<minor>` while the version is
//! 0.x (no ABI promise between minor versions before 1.0, as cargo-c names them), then
//! `libdmp.so.<major>`. `dmp-ffi/install.sh` installs the file under that name with the
//! usual symlinks.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(
        os.as_str(),
        "linux" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    ) {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_else(|_| "0".into());
        let soversion = if major == "0" {
            format!("0.{minor}")
        } else {
            major
        };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libdmp.so.{soversion}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
