//! Embeds the shop's assets: KERN's CSS and fonts and htmx (written by `make assets` into
//! `assets/dist`, from npm with a committed lock file), and our own files in `assets/shop`.
//! Each is served under a name carrying a hash of its content (`kern.min.3f9a….css`), so it
//! can be cached for a year; text files are also stored gzipped.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

struct Asset {
    name: String,
    bytes: Vec<u8>,
}

fn hash(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref()[..6].iter().map(|b| format!("{b:02x}")).collect()
}

fn hashed_name(name: &str, bytes: &[u8]) -> String {
    let file = name.rsplit('/').next().unwrap_or(name);
    match file.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{}.{ext}", hash(bytes)),
        None => format!("{file}.{}", hash(bytes)),
    }
}

fn collect(dir: &Path, prefix: &str, out: &mut Vec<Asset>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if path.is_dir() {
            collect(&path, &format!("{name}/"), out);
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(Asset { name, bytes: std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) });
        }
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("woff2") => "font/woff2",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let dist = root.join("assets/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rerun-if-changed={}", root.join("assets/shop").display());
    if !dist.join("kern.min.css").exists() {
        panic!("\n\nThe shop's vendored assets are missing ({}).\nRun `make assets` (npm ci + font subsetting) before building.\n", dist.display());
    }
    let mut assets = Vec::new();
    collect(&dist, "", &mut assets);
    collect(&root.join("assets/shop"), "", &mut assets);
    // Fonts and images first, so that the CSS referring to them can name their hashed URLs.
    let mut urls: Vec<(String, String)> = Vec::new();
    for a in assets.iter().filter(|a| !a.name.ends_with(".css")) {
        urls.push((a.name.clone(), format!("/assets/{}", hashed_name(&a.name, &a.bytes))));
    }
    for a in assets.iter_mut().filter(|a| a.name.ends_with(".css")) {
        let mut css = String::from_utf8(std::mem::take(&mut a.bytes)).expect("CSS is UTF-8");
        for (name, url) in &urls {
            for quote in ["", "\"", "'"] {
                css = css.replace(&format!("url({quote}{name}{quote})"), &format!("url({url})"));
            }
        }
        a.bytes = css.into_bytes();
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("out dir"));
    let mut code = String::from("/// (logical name, URL path, content type, bytes, gzipped bytes)\npub static ASSETS: &[(&str, &str, &str, &[u8], Option<&[u8]>)] = &[\n");
    for (i, a) in assets.iter().enumerate() {
        let file = out.join(format!("asset-{i}"));
        std::fs::write(&file, &a.bytes).expect("write asset");
        let ct = content_type(&a.name);
        let gz = if ct.starts_with("text/") || ct.starts_with("image/svg") {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            enc.write_all(&a.bytes).expect("gzip");
            let gz = enc.finish().expect("gzip");
            let gzfile = out.join(format!("asset-{i}.gz"));
            std::fs::write(&gzfile, gz).expect("write gz");
            format!("Some(include_bytes!({:?}))", gzfile.display().to_string())
        } else {
            "None".to_owned()
        };
        let hashed = hashed_name(&a.name, &a.bytes);
        writeln!(code, "    ({:?}, \"/assets/{hashed}\", {ct:?}, include_bytes!({:?}), {gz}),", a.name, file.display().to_string()).expect("fmt");
    }
    code.push_str("];\n");
    std::fs::write(out.join("assets.rs"), code).expect("write assets.rs");
}
