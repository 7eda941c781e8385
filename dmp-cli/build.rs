//! Writes the manual page of `dmp` (roff, `$OUT_DIR/dmp.1`) from the same clap definitions as
//! the parser, so it cannot drift from the options; `dmp man` prints it.

#[allow(dead_code)]
mod cli {
    include!("src/cli.rs");
}

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=src/cli.rs");
    let out_dir = std::path::PathBuf::from(
        std::env::var_os("OUT_DIR").ok_or_else(|| std::io::Error::other("OUT_DIR is not set"))?,
    );
    let command = <cli::Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    // One section per subcommand (and per sub-subcommand), after the main page.
    for sub in command.get_subcommands() {
        render_sub(&mut page, "dmp", sub)?;
    }
    std::fs::write(out_dir.join("dmp.1"), page)
}

fn render_sub(page: &mut Vec<u8>, parent: &str, sub: &clap::Command) -> std::io::Result<()> {
    let name = format!("{parent} {}", sub.get_name());
    let mut cmd = sub.clone().bin_name(name.clone());
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
    man.render_synopsis_section(page)?;
    man.render_description_section(page)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(page)?;
    }
    for s in sub.get_subcommands() {
        render_sub(page, &name, s)?;
    }
    Ok(())
}
