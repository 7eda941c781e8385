//! Building + signing a TD2.1 request for a 1, 5, 10 and 15 MiB PDF, against the floor (SHA-1 +
//! SHA-256 + base64 of the same bytes) in the same run (time linear in the size: the ratio
//! stays flat); the peak memory of one build in a fresh process (VmHWM), as a multiple of the
//! PDF, raw and less the process's start (its image and runtime, which the caller's process has
//! anyway). Both forms: held in memory (`feed::build`) and streamed into a file
//! (`feed::build_to`, a real file in the temporary folder: the page cache is not the process's
//! memory).
//!
//! The warm columns: the same build in a process that has fed once before (our code paged in,
//! the signer and rights held, the free heap returned, VmHWM restarted): what one more feed
//! costs a running DUI service, the payload itself included.
//!
//! `cargo bench --bench feed`

#[path = "common/mod.rs"]
mod timing;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};

use base64::Engine as _;
use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::cda::{Content, MediaType};
use dmp_core::crypto::{
    CheckedSigner, DigestAlgorithm, SignatureAlgorithm, SigningIdentity, UsagePolicy,
};
use dmp_core::feed::{self, FeedContext, FeedRequest, IdGenerator};
use dmp_core::habilitation::Rights;
use timing::best_of;

const P12: &[u8] = include_bytes!("../examples/pki/org-sign.p12");
const PASSWORD: &str = include_str!("../examples/pki/PASSWORD");
const REQUEST: &str = include_str!("../examples/data/feed/dlu.json");
const CASE: &str = include_str!("../examples/data/cases/dlu.json");

fn pdf_of(size: usize) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.reserve_exact(size);
    let mut x: u32 = 1;
    while pdf.len() < size {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        pdf.push((x >> 24) as u8);
    }
    pdf
}

/// The system allocator, counting the bytes allocated now and at most: the heap peak is what
/// the library and the request cost for a payload, without the code pages and the runtime
/// that VmHWM also counts. A reallocation counts the new block before the old one is freed.
struct Counting;

/// Signed: a block allocated before the counting started may be freed after it.
static HEAP_NOW: AtomicIsize = AtomicIsize::new(0);
static HEAP_PEAK: AtomicIsize = AtomicIsize::new(0);
/// Set by the memory child only, so that the timed runs do not pay for the counting.
static COUNTING: AtomicBool = AtomicBool::new(false);

fn grew(bytes: usize) {
    if COUNTING.load(Relaxed) {
        let bytes = bytes as isize;
        let now = HEAP_NOW.fetch_add(bytes, Relaxed) + bytes;
        HEAP_PEAK.fetch_max(now, Relaxed);
    }
}

fn shrank(bytes: usize) {
    if COUNTING.load(Relaxed) {
        HEAP_NOW.fetch_sub(bytes as isize, Relaxed);
    }
}

// SAFETY: every call is passed to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as `alloc`.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A `/proc/self/status` value in kB (`VmHWM`, `VmRSS`, `RssFile`), if the system has it.
fn status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What this process holds resident at one moment, in kB: all of it, and the part mapped from
/// files (the binary's and the libraries' pages: code paged in on first use).
#[derive(Clone, Copy)]
struct Resident {
    rss: u64,
    file: u64,
}

impl Resident {
    fn now() -> Resident {
        Resident {
            rss: status_kb("VmRSS").unwrap_or(0),
            file: status_kb("RssFile").unwrap_or(0),
        }
    }
}

/// The memory of one build in a fresh process, in kB.
struct Peak {
    /// Resident at the child's first line: the process image and the runtime, nothing of ours.
    start: Resident,
    /// VmRSS just before the build (signer, rights, request with its PDF made).
    before: u64,
    /// VmHWM after the build.
    peak: u64,
    /// Resident after the build (for the file-backed pages paged in since the start).
    end: Resident,
    /// The heap's peak over the whole process (request, signer, rights, build), in kB.
    heap: u64,
}

fn signer(now: DateTime<FixedOffset>) -> CheckedSigner {
    SigningIdentity::from_pkcs12(P12, PASSWORD.trim())
        .unwrap()
        .with_algorithm(SignatureAlgorithm::RsaSha1)
        .unwrap()
        .signer_at(now.with_timezone(&Utc), UsagePolicy::DmpSignature)
        .unwrap()
}

fn request_of(size: usize) -> FeedRequest {
    let case: dmp_core::cda::Case = dmp_core::json::from_str(CASE).unwrap();
    let mut request = FeedRequest::from_json(REQUEST).unwrap();
    request.documents[0].case = None;
    request.documents[0].header = Some(case.header);
    request.documents[0].body = Some(Content {
        media_type: MediaType::Pdf,
        data: pdf_of(size),
    });
    request
}

/// One build, with the rights parsed once by the caller (as a session holds them).
fn build_once(
    request: &FeedRequest,
    signer: &CheckedSigner,
    rights: &Rights,
) -> feed::BuiltRequest {
    let mut ctx = FeedContext {
        now: now(),
        ids: IdGenerator::from_seed(1),
        signer,
        rights: Some(rights),
    };
    feed::build(request, &mut ctx).unwrap()
}

/// One streamed build into `out`, the rights parsed once by the caller.
fn stream_once<'r>(
    request: &'r FeedRequest,
    signer: &CheckedSigner,
    rights: &Rights,
    out: &mut dyn std::io::Write,
) -> feed::StreamingRequest<'r> {
    let mut ctx = FeedContext {
        now: now(),
        ids: IdGenerator::from_seed(1),
        signer,
        rights: Some(rights),
    };
    feed::build_to(request, &mut ctx, out).unwrap()
}

/// The file the streamed builds write (one per process, removed by the caller).
fn spool_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("dmp-bench-feed-{}.mtom", std::process::id()))
}

fn now() -> DateTime<FixedOffset> {
    "2026-11-20T15:00:00+01:00".parse().unwrap()
}

/// In a fresh process (this bench run again with `--peak-of SIZE [--stream]`, so that nothing
/// freed earlier is still resident): one build of a SIZE-byte PDF, held or streamed into a
/// file; prints, in kB, the resident memory at `start` (all, file-backed), the VmRSS before
/// the build, the VmHWM after it and the resident memory then (all, file-backed).
fn peak_of(size: usize, stream: bool, warm: bool, mut start: Resident) {
    let signer = signer(now());
    let rights = Rights::embedded().unwrap();
    let path = spool_path();
    let mut file = stream.then(|| std::fs::File::create(&path).unwrap());
    let mut heap_base = 0;
    if warm {
        // A process that has fed before: one build of a 16 KiB PDF pages our code in, then
        // the free heap goes back to the system and the peak restarts from here.
        let small = request_of(16 << 10);
        if let Some(file) = &mut file {
            std::hint::black_box(stream_once(&small, &signer, &rights, file));
        } else {
            std::hint::black_box(build_once(&small, &signer, &rights));
        }
        drop(small);
        trim_heap();
        if !reset_peak() {
            // No way to restart VmHWM here: say nothing rather than a wrong number.
            return;
        }
        start = Resident::now();
        // The heap held from here (signer, rights) is the caller's already.
        heap_base = HEAP_NOW.load(Relaxed);
        HEAP_PEAK.store(heap_base, Relaxed);
    }
    let request = request_of(size);
    let before = status_kb("VmRSS").unwrap_or(0);
    if let Some(file) = &mut file {
        std::hint::black_box(stream_once(&request, &signer, &rights, file));
    } else {
        std::hint::black_box(build_once(&request, &signer, &rights));
    }
    let peak = status_kb("VmHWM").unwrap_or(0);
    let end = Resident::now();
    if stream {
        let _ = std::fs::remove_file(&path);
    }
    let heap = (HEAP_PEAK.load(Relaxed) - heap_base).max(0) / 1024;
    println!(
        "{} {} {before} {peak} {} {} {heap}",
        start.rss, start.file, end.rss, end.file
    );
}

/// Gives the heap's free memory back to the system (glibc keeps it otherwise), so that a
/// warm process starts from what it really holds.
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's `malloc_trim` takes a size and touches only the allocator's state.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Restarts this process's VmHWM from its VmRSS now (Linux ≥ 4.0: `5` into `clear_refs`).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The memory of one build of a `size`-byte PDF, held or streamed, from a fresh process;
/// `warm`: after a first build of a small PDF, measured from there (see [`peak_of`]).
fn measure_peak(size: usize, stream: bool, warm: bool) -> Option<Peak> {
    let exe = std::env::current_exe().ok()?;
    let mut command = std::process::Command::new(exe);
    command.args(["--peak-of", &size.to_string()]);
    if stream {
        command.arg("--stream");
    }
    if warm {
        command.arg("--warm");
    }
    let out = command.output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let kb: Vec<u64> = text
        .split_whitespace()
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let &[start_rss, start_file, before, peak, end_rss, end_file, heap] = kb.as_slice() else {
        return None;
    };
    Some(Peak {
        start: Resident {
            rss: start_rss,
            file: start_file,
        },
        before,
        peak,
        end: Resident {
            rss: end_rss,
            file: end_file,
        },
        heap,
    })
}

/// A peak as multiples of the PDF, printed `2.35×`: raw (VmHWM), feed (VmHWM − the start's
/// VmRSS), build (VmHWM − VmRSS just before the build), heap (the heap's peak).
fn multiples(peak: &Option<Peak>, size: usize) -> [String; 4] {
    let payload = size as f64 / 1024.0;
    let times = |kb: u64| format!("{:.2}×", kb as f64 / payload);
    match peak {
        Some(p) => [
            times(p.peak),
            times(p.peak.saturating_sub(p.start.rss)),
            times(p.peak.saturating_sub(p.before)),
            times(p.heap),
        ],
        None => [
            "n/a".to_owned(),
            "n/a".to_owned(),
            "n/a".to_owned(),
            "n/a".to_owned(),
        ],
    }
}

fn main() {
    // First, before anything of ours exists: only the process image and the runtime.
    let start = Resident::now();
    // The heap is counted from here in the memory child (nothing of ours allocated yet).
    COUNTING.store(std::env::args().any(|a| a == "--peak-of"), Relaxed);
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--loop") {
        let signer = signer(now());
        let rights = Rights::embedded().unwrap();
        let size = args
            .iter()
            .position(|a| a == "--loop")
            .and_then(|i| args.get(i + 1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(16 << 10);
        let request = request_of(size);
        // The best of 20 rounds of 100 builds: the fixed cost, the machine's noise left out.
        let best = best_of(20, || {
            for _ in 0..100 {
                std::hint::black_box(build_once(&request, &signer, &rights));
            }
        });
        println!("{:?} per build (best of 20 rounds of 100)", best / 100);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--peak-of") {
        peak_of(
            args.get(i + 1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(1 << 20),
            args.iter().any(|a| a == "--stream"),
            args.iter().any(|a| a == "--warm"),
            start,
        );
        return;
    }
    let signer = signer(now());
    let rights = Rights::embedded().unwrap();
    println!(
        "feed: TD2.1 build + sign (CDA, XAdES C14N digest, VIHF, SOAP, MTOM) against the floor"
    );
    println!("(SHA-1 + SHA-256 + base64 of the PDF), held in memory (build) and streamed into a");
    println!("file (stream: build_to, each document generated twice: digested, then written).");
    println!(
        "{:>9} {:>9} {:>9} {:>7} {:>7} {:>9} {:>7}",
        "PDF MiB", "floor ms", "build ms", "MiB/s", "×floor", "stream ms", "×floor",
    );
    // Up to the largest PDF whose CDA fits the 20 MiB limit (15 MiB less its header).
    // 16 KiB: the fixed cost of a request (signatures, rights, metadata, VIHF).
    let spool = spool_path();
    let mut rows = Vec::new();
    let mut peaks = Vec::new();
    for size in [16 << 10, 1 << 20, 5 << 20, 10 << 20, (15 << 20) - 8192] {
        let request = request_of(size);
        let pdf = &request.documents[0].body.as_ref().unwrap().data;
        // The best of more runs for the small sizes (a few ms each, where the machine's noise
        // weighs most): about 40 MiB of PDF per measurement, at least 5 runs.
        let runs = ((40 << 20) / size).clamp(5, 50);
        let floor = best_of(runs, || {
            std::hint::black_box(DigestAlgorithm::Sha1.digest(pdf));
            std::hint::black_box(DigestAlgorithm::Sha256.digest(pdf));
            std::hint::black_box(base64::engine::general_purpose::STANDARD.encode(pdf));
        });
        let build = best_of(runs, || {
            std::hint::black_box(build_once(&request, &signer, &rights));
        });
        let stream = best_of(runs, || {
            let mut file = std::fs::File::create(&spool).unwrap();
            std::hint::black_box(stream_once(&request, &signer, &rights, &mut file));
        });
        let mib = size as f64 / (1 << 20) as f64;
        println!(
            "{:>9.2} {:>9.1} {:>9.1} {:>7.0} {:>6.2}× {:>9.1} {:>6.2}×",
            mib,
            floor.as_secs_f64() * 1e3,
            build.as_secs_f64() * 1e3,
            mib / build.as_secs_f64(),
            build.as_secs_f64() / floor.as_secs_f64(),
            stream.as_secs_f64() * 1e3,
            stream.as_secs_f64() / floor.as_secs_f64(),
        );
        rows.push((
            mib,
            floor.as_secs_f64() * 1e3,
            build.as_secs_f64() * 1e3,
            stream.as_secs_f64() * 1e3,
        ));
        peaks.push(Peaks {
            size,
            mib,
            held: measure_peak(size, false, false),
            streamed: measure_peak(size, true, false),
            held_warm: measure_peak(size, false, true),
            streamed_warm: measure_peak(size, true, true),
        });
    }
    let _ = std::fs::remove_file(&spool);
    // Linear: the cost of each further MiB, from 1 MiB to the largest, against the floor's.
    if let (Some(a), Some(b)) = (rows.get(1), rows.last()) {
        let per_mib = |t0: f64, t1: f64| (t1 - t0) / (b.0 - a.0);
        println!(
            "each further MiB ({:.0} → {:.0} MiB): build {:.2} ms, floor {:.2} ms ({:.2}×); \
             stream {:.2} ms ({:.2}×); fixed cost (16 KiB PDF) {:.1} ms",
            a.0,
            b.0,
            per_mib(a.2, b.2),
            per_mib(a.1, b.1),
            per_mib(a.2, b.2) / per_mib(a.1, b.1),
            per_mib(a.3, b.3),
            per_mib(a.3, b.3) / per_mib(a.1, b.1),
            rows.first().map_or(0.0, |r| r.2),
        );
    }
    print_memory(&peaks);
}

/// The memory of one size of PDF, each from its own fresh process.
struct Peaks {
    size: usize,
    mib: f64,
    held: Option<Peak>,
    streamed: Option<Peak>,
    /// After a first build of a small PDF (code paged in, free heap returned), from there.
    held_warm: Option<Peak>,
    streamed_warm: Option<Peak>,
}

/// The memory table: per PDF size, held and streamed, the peak of one build in a fresh process
/// as multiples of the PDF, then the slope from 1 MiB to the largest.
fn print_memory(peaks: &[Peaks]) {
    println!();
    println!(
        "Memory of one build in a fresh process, as multiples of the PDF. start = VmRSS at the\n\
         child's first line (image + runtime, kB); held, stream = the raw VmHWM; feed =\n\
         VmHWM − start (the request with its PDF, signer, rights, our code paged in, the build);\n\
         build = VmHWM − VmRSS just before the build; heap = the heap's peak (everything\n\
         allocated: request with its PDF, signer, rights, build); code = file-backed pages\n\
         paged in after start (kB; start and code: the streamed child's); warm = in a process\n\
         that has fed once before (a 16 KiB PDF: our code paged in, signer and rights held, the\n\
         free heap returned, VmHWM restarted), VmHWM − VmRSS then: the PDF made, then the build\n\
         (what one more feed costs a running process); wheap = the heap's peak above it."
    );
    println!(
        "{:>7} {:>8} {:>7} | {:>7} {:>7} {:>6} {:>6} {:>6} {:>6} | {:>7} {:>7} {:>6} {:>6} {:>6} {:>6}",
        "PDF MiB",
        "start kB",
        "code kB",
        "held",
        "feed",
        "build",
        "heap",
        "warm",
        "wheap",
        "stream",
        "feed",
        "build",
        "heap",
        "warm",
        "wheap"
    );
    for p in peaks {
        let kb = |v: Option<u64>| v.map_or("n/a".to_owned(), |v| v.to_string());
        let [h_raw, h_feed, h_build, h_heap] = multiples(&p.held, p.size);
        let [s_raw, s_feed, s_build, s_heap] = multiples(&p.streamed, p.size);
        let [_, hw_feed, _, hw_heap] = multiples(&p.held_warm, p.size);
        let [_, sw_feed, _, sw_heap] = multiples(&p.streamed_warm, p.size);
        println!(
            "{:>7.2} {:>8} {:>7} | {:>7} {:>7} {:>6} {:>6} {:>6} {:>6} | {:>7} {:>7} {:>6} {:>6} {:>6} {:>6}",
            p.mib,
            kb(p.streamed.as_ref().map(|p| p.start.rss)),
            kb(p.streamed
                .as_ref()
                .map(|p| p.end.file.saturating_sub(p.start.file))),
            h_raw,
            h_feed,
            h_build,
            h_heap,
            hw_feed,
            hw_heap,
            s_raw,
            s_feed,
            s_build,
            s_heap,
            sw_feed,
            sw_heap,
        );
    }
    // Each further MiB of PDF costs this many MiB of peak, raw and less the start.
    let (Some(a), Some(b)) = (peaks.get(1), peaks.last()) else {
        return;
    };
    let slope = |p0: &Option<Peak>, p1: &Option<Peak>, less_start: bool| match (p0, p1) {
        (Some(p0), Some(p1)) => {
            let kb = |p: &Peak| p.peak as f64 - if less_start { p.start.rss as f64 } else { 0.0 };
            format!("{:.2}", (kb(p1) - kb(p0)) / 1024.0 / (b.mib - a.mib))
        }
        _ => "n/a".to_owned(),
    };
    println!(
        "slope (peak({:.0}) − peak({:.0})) / {:.0} MiB, MiB per MiB of PDF: held raw {}, feed {}, \
         warm {}; streamed raw {}, feed {}, warm {}",
        b.mib,
        a.mib,
        b.mib - a.mib,
        slope(&a.held, &b.held, false),
        slope(&a.held, &b.held, true),
        slope(&a.held_warm, &b.held_warm, true),
        slope(&a.streamed, &b.streamed, false),
        slope(&a.streamed, &b.streamed, true),
        slope(&a.streamed_warm, &b.streamed_warm, true),
    );
}
