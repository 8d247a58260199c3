//! PulseAudio (and PipeWire's PulseAudio server) through its own client
//! library, `libpulse`, loaded at run time so that a system without it still
//! runs on ALSA. It serves the system default (`""`, `default`, `pulse`;
//! `PULSE_SOURCE`/`PULSE_SINK` pick other devices, as for any PulseAudio
//! program) and nothing else, so an ALSA name such as `hw:1,0` still reaches
//! that card directly.
//!
//! A stream is opened at the codec's rate in mono (the server resamples and
//! mixes down). Its connection to the server is driven by a libpulse main
//! loop that runs on the stream's own thread: playback's thread sleeps in
//! poll on the server's socket and fills what the server asks for; capture's
//! wakes once a frame and takes every block that came meanwhile (D104); both
//! move audio between the server and the ring buffer in libpulse's
//! callbacks. No other thread is involved: `pa_simple` ran a main loop
//! thread of its own per stream and woke ours through a condition variable
//! for every block the server sent, which doubled the context switches
//! (D103); through the ALSA plugin the same call cost 2.7 times the CPU
//! (D100).

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::sync::mpsc::TryRecvError;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ringbuf::{HeapCons, HeapProd};

use super::super::SoundError;
use super::super::stream::{Device, Feed, Opened, Playout, Shared, device_error};
use super::Backend;

pub(super) struct PulseAudio;

/// The device names this back end serves: the system default.
fn serves(name: &str) -> bool {
    matches!(name, "" | "default" | "pulse")
}

/// How long opening may take before ALSA is tried instead.
const OPEN_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest the stream's thread sleeps without looking at its stop line
/// (a running stream wakes it every few ms anyway).
const STOP_CHECK: Duration = Duration::from_millis(100);
/// One frame: the capture thread takes what the server sent once a frame.
const FRAME: Duration = Duration::from_millis(20);
/// Turns of the main loop that one wake-up may take to run everything ready
/// (a block's callback queues its acknowledgement for the next turn).
const DRAIN_TURNS: usize = 8;

impl Backend for PulseAudio {
    fn name(&self) -> &'static str {
        "pulse"
    }

    fn capture(
        &self,
        name: &str,
        codec_rate: u32,
        shared: &Arc<Shared>,
    ) -> Option<Result<Device<HeapCons<f32>>, SoundError>> {
        if !serves(name) {
            return None;
        }
        let (feed, consumer) = Feed::new(codec_rate, shared.clone());
        let side = Box::new(Side {
            shared: shared.clone(),
            work: Work::Capture(feed),
        });
        let connection = match connect(Direction::Record, codec_rate, side)? {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        };
        Some(Ok(Device {
            opened: Opened {
                device: "pulse".into(),
                rate: codec_rate,
            },
            end: consumer,
            pump: Box::new(move |stop| connection.run(stop, "capture", Some(FRAME))),
        }))
    }

    fn playback(
        &self,
        name: &str,
        codec_rate: u32,
        shared: &Arc<Shared>,
    ) -> Option<Result<Device<HeapProd<f32>>, SoundError>> {
        if !serves(name) {
            return None;
        }
        let (producer, playout) = Playout::new(codec_rate, shared.clone());
        let side = Box::new(Side {
            shared: shared.clone(),
            work: Work::Playback(playout, Vec::new()),
        });
        let connection = match connect(Direction::Playback, codec_rate, side)? {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        };
        Some(Ok(Device {
            opened: Opened {
                device: "pulse".into(),
                rate: codec_rate,
            },
            end: producer,
            pump: Box::new(move |stop| connection.run(stop, "playback", None)),
        }))
    }
}

fn frame_samples(rate: u32) -> usize {
    (rate / 50).max(1) as usize
}

/// A connection with its stream. None when there is no library or server:
/// ALSA is asked next and says what is wrong if it cannot open the device
/// either; unless the user keeps to this back end
/// (`HOOKSWITCH_SOUND_BACKEND=pulse`), who is told the server's reason.
fn connect(
    direction: Direction,
    rate: u32,
    side: Box<Side>,
) -> Option<Result<Connection, SoundError>> {
    let opened = library()
        .ok_or_else(|| "no libpulse.so.0".to_string())
        .and_then(|library| Connection::open(library, direction, rate, side));
    match opened {
        Ok(connection) => {
            tracing::debug!(rate, ?direction, "PulseAudio stream opened");
            Some(Ok(connection))
        }
        Err(e) if super::chosen() == Some("pulse") => Some(Err(device_error("pulse", e))),
        Err(e) => {
            tracing::debug!("PulseAudio: {e}; trying ALSA");
            None
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Playback,
    Record,
}

/// What the stream's callbacks work on: the ring buffer's device end.
struct Side {
    shared: Arc<Shared>,
    work: Work,
}

enum Work {
    Capture(Feed),
    /// The playout, and the block handed to the server (kept between calls).
    Playback(Playout, Vec<f32>),
}

// The few declarations of <pulse/*.h> used here.
const PA_CONTEXT_NOAUTOSPAWN: c_int = 1;
const PA_CONTEXT_READY: c_int = 4;
const PA_CONTEXT_FAILED: c_int = 5;
const PA_CONTEXT_TERMINATED: c_int = 6;
const PA_STREAM_READY: c_int = 2;
const PA_STREAM_FAILED: c_int = 3;
const PA_STREAM_TERMINATED: c_int = 4;
/// The server sizes its own buffers (and the device's) from ours.
const PA_STREAM_ADJUST_LATENCY: c_int = 0x2000;
const PA_SEEK_RELATIVE: c_int = 0;
#[cfg(target_endian = "little")]
const PA_SAMPLE_FLOAT32NE: c_int = 5;
#[cfg(target_endian = "big")]
const PA_SAMPLE_FLOAT32NE: c_int = 6;
/// "The server's choice" in a buffer attribute.
const DEFAULT: u32 = u32::MAX;

#[repr(C)]
struct SampleSpec {
    format: c_int,
    rate: u32,
    channels: u8,
}

#[repr(C)]
struct BufferAttr {
    maxlength: u32,
    tlength: u32,
    prebuf: u32,
    minreq: u32,
    fragsize: u32,
}

type Ptr = *mut c_void;
type RequestCb = unsafe extern "C" fn(stream: Ptr, nbytes: usize, userdata: Ptr);

// The signatures <pulse/*.h> declares for the entry points used.
type MainloopNewFn = unsafe extern "C" fn() -> Ptr;
type MainloopGetApiFn = unsafe extern "C" fn(Ptr) -> Ptr;
type MainloopPrepareFn = unsafe extern "C" fn(Ptr, c_int) -> c_int;
type MainloopPollFn = unsafe extern "C" fn(Ptr) -> c_int;
type MainloopDispatchFn = unsafe extern "C" fn(Ptr) -> c_int;
type MainloopFreeFn = unsafe extern "C" fn(Ptr);
type ContextNewFn = unsafe extern "C" fn(Ptr, *const c_char) -> Ptr;
type ContextConnectFn = unsafe extern "C" fn(Ptr, *const c_char, c_int, *const c_void) -> c_int;
type ContextGetStateFn = unsafe extern "C" fn(Ptr) -> c_int;
type ContextErrnoFn = unsafe extern "C" fn(Ptr) -> c_int;
type ContextDisconnectFn = unsafe extern "C" fn(Ptr);
type ContextUnrefFn = unsafe extern "C" fn(Ptr);
type StreamNewFn =
    unsafe extern "C" fn(Ptr, *const c_char, *const SampleSpec, *const c_void) -> Ptr;
type StreamSetReadCallbackFn = unsafe extern "C" fn(Ptr, Option<RequestCb>, Ptr);
type StreamSetWriteCallbackFn = unsafe extern "C" fn(Ptr, Option<RequestCb>, Ptr);
type StreamConnectRecordFn =
    unsafe extern "C" fn(Ptr, *const c_char, *const BufferAttr, c_int) -> c_int;
type StreamConnectPlaybackFn =
    unsafe extern "C" fn(Ptr, *const c_char, *const BufferAttr, c_int, *const c_void, Ptr) -> c_int;
type StreamGetStateFn = unsafe extern "C" fn(Ptr) -> c_int;
type StreamPeekFn = unsafe extern "C" fn(Ptr, *mut *const c_void, *mut usize) -> c_int;
type StreamDropFn = unsafe extern "C" fn(Ptr) -> c_int;
type StreamWriteFn =
    unsafe extern "C" fn(Ptr, *const c_void, usize, *const c_void, i64, c_int) -> c_int;
type StreamDisconnectFn = unsafe extern "C" fn(Ptr) -> c_int;
type StreamUnrefFn = unsafe extern "C" fn(Ptr);
type StrerrorFn = unsafe extern "C" fn(c_int) -> *const c_char;

/// The entry points of libpulse this back end calls, each cast to the
/// signature its header declares.
struct Library {
    mainloop_new: MainloopNewFn,
    mainloop_get_api: MainloopGetApiFn,
    mainloop_prepare: MainloopPrepareFn,
    mainloop_poll: MainloopPollFn,
    mainloop_dispatch: MainloopDispatchFn,
    mainloop_free: MainloopFreeFn,
    context_new: ContextNewFn,
    context_connect: ContextConnectFn,
    context_get_state: ContextGetStateFn,
    context_errno: ContextErrnoFn,
    context_disconnect: ContextDisconnectFn,
    context_unref: ContextUnrefFn,
    stream_new: StreamNewFn,
    stream_set_read_callback: StreamSetReadCallbackFn,
    stream_set_write_callback: StreamSetWriteCallbackFn,
    stream_connect_record: StreamConnectRecordFn,
    stream_connect_playback: StreamConnectPlaybackFn,
    stream_get_state: StreamGetStateFn,
    stream_peek: StreamPeekFn,
    stream_drop: StreamDropFn,
    stream_write: StreamWriteFn,
    stream_disconnect: StreamDisconnectFn,
    stream_unref: StreamUnrefFn,
    strerror: StrerrorFn,
}

/// The library, loaded on first use; none when it is not installed.
fn library() -> Option<&'static Library> {
    static LIBRARY: OnceLock<Option<Library>> = OnceLock::new();
    LIBRARY.get_or_init(load).as_ref()
}

fn load() -> Option<Library> {
    // SAFETY: dlopen/dlsym of a system library by its soname. The handle is
    // never closed, so the symbols stay valid for the life of the process;
    // each symbol is cast to the signature <pulse/*.h> declares for it.
    unsafe {
        let handle = libc::dlopen(c"libpulse.so.0".as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        if handle.is_null() {
            tracing::debug!("no libpulse.so.0: PulseAudio only through ALSA");
            return None;
        }
        let symbol = |name: &CStr| {
            let p = libc::dlsym(handle, name.as_ptr());
            if p.is_null() {
                tracing::debug!("libpulse has no {name:?}");
            }
            (!p.is_null()).then_some(p)
        };
        macro_rules! sym {
            ($name:literal, $ty:ty) => {
                std::mem::transmute::<*mut c_void, $ty>(symbol($name)?)
            };
        }
        Some(Library {
            mainloop_new: sym!(c"pa_mainloop_new", MainloopNewFn),
            mainloop_get_api: sym!(c"pa_mainloop_get_api", MainloopGetApiFn),
            mainloop_prepare: sym!(c"pa_mainloop_prepare", MainloopPrepareFn),
            mainloop_poll: sym!(c"pa_mainloop_poll", MainloopPollFn),
            mainloop_dispatch: sym!(c"pa_mainloop_dispatch", MainloopDispatchFn),
            mainloop_free: sym!(c"pa_mainloop_free", MainloopFreeFn),
            context_new: sym!(c"pa_context_new", ContextNewFn),
            context_connect: sym!(c"pa_context_connect", ContextConnectFn),
            context_get_state: sym!(c"pa_context_get_state", ContextGetStateFn),
            context_errno: sym!(c"pa_context_errno", ContextErrnoFn),
            context_disconnect: sym!(c"pa_context_disconnect", ContextDisconnectFn),
            context_unref: sym!(c"pa_context_unref", ContextUnrefFn),
            stream_new: sym!(c"pa_stream_new", StreamNewFn),
            stream_set_read_callback: sym!(c"pa_stream_set_read_callback", StreamSetReadCallbackFn),
            stream_set_write_callback: sym!(
                c"pa_stream_set_write_callback",
                StreamSetWriteCallbackFn
            ),
            stream_connect_record: sym!(c"pa_stream_connect_record", StreamConnectRecordFn),
            stream_connect_playback: sym!(c"pa_stream_connect_playback", StreamConnectPlaybackFn),
            stream_get_state: sym!(c"pa_stream_get_state", StreamGetStateFn),
            stream_peek: sym!(c"pa_stream_peek", StreamPeekFn),
            stream_drop: sym!(c"pa_stream_drop", StreamDropFn),
            stream_write: sym!(c"pa_stream_write", StreamWriteFn),
            stream_disconnect: sym!(c"pa_stream_disconnect", StreamDisconnectFn),
            stream_unref: sym!(c"pa_stream_unref", StreamUnrefFn),
            strerror: sym!(c"pa_strerror", StrerrorFn),
        })
    }
}

/// A main loop, its connection to the server and one stream on it, all
/// used on the thread that opened them (the stream's).
struct Connection {
    library: &'static Library,
    mainloop: NonNull<c_void>,
    context: NonNull<c_void>,
    stream: Option<NonNull<c_void>>,
    /// What the callbacks' userdata points at: freed after the stream.
    side: *mut Side,
}

impl Connection {
    fn open(
        library: &'static Library,
        direction: Direction,
        rate: u32,
        side: Box<Side>,
    ) -> Result<Connection, String> {
        // SAFETY: plain constructor; a null return is an error.
        let mainloop =
            NonNull::new(unsafe { (library.mainloop_new)() }).ok_or("no PulseAudio main loop")?;
        // SAFETY: the main loop is live; its api pointer lives as long.
        let context = unsafe {
            let api = (library.mainloop_get_api)(mainloop.as_ptr());
            (library.context_new)(api, c"Hookswitch".as_ptr())
        };
        let Some(context) = NonNull::new(context) else {
            // SAFETY: created above, nothing else refers to it.
            unsafe { (library.mainloop_free)(mainloop.as_ptr()) };
            drop(side);
            return Err("no PulseAudio context".into());
        };
        let mut connection = Connection {
            library,
            mainloop,
            context,
            stream: None,
            side: Box::into_raw(side),
        };
        connection.connect_stream(direction, rate)?;
        Ok(connection)
    }

    fn connect_stream(&mut self, direction: Direction, rate: u32) -> Result<(), String> {
        let lib = self.library;
        let deadline = Instant::now() + OPEN_TIMEOUT;
        // SAFETY: the context is live; null server = the default (or
        // PULSE_SERVER); never spawn a server of our own.
        if unsafe {
            (lib.context_connect)(
                self.context.as_ptr(),
                std::ptr::null(),
                PA_CONTEXT_NOAUTOSPAWN,
                std::ptr::null(),
            )
        } < 0
        {
            return Err(self.context_error());
        }
        loop {
            // SAFETY: the context is live.
            match unsafe { (lib.context_get_state)(self.context.as_ptr()) } {
                PA_CONTEXT_READY => break,
                PA_CONTEXT_FAILED | PA_CONTEXT_TERMINATED => return Err(self.context_error()),
                _ => self.iterate_until(deadline)?,
            }
        }
        let frame_bytes = (frame_samples(rate) * size_of::<f32>()) as u32;
        let spec = SampleSpec {
            format: PA_SAMPLE_FLOAT32NE,
            rate,
            channels: 1,
        };
        let name = match direction {
            Direction::Record => c"microphone",
            Direction::Playback => c"speaker",
        };
        // SAFETY: the context is live and ready; the spec outlives the call
        // (libpulse copies it); a null channel map is mono's default.
        let stream = unsafe {
            (lib.stream_new)(
                self.context.as_ptr(),
                name.as_ptr(),
                &spec,
                std::ptr::null(),
            )
        };
        let stream = NonNull::new(stream).ok_or_else(|| self.context_error())?;
        self.stream = Some(stream);
        let side = self.side.cast::<c_void>();
        let connected = match direction {
            Direction::Record => {
                // One frame per message from the server.
                let attr = BufferAttr {
                    maxlength: DEFAULT,
                    tlength: DEFAULT,
                    prebuf: DEFAULT,
                    minreq: DEFAULT,
                    fragsize: frame_bytes,
                };
                // SAFETY: the stream is live; `side` outlives it (freed in
                // drop, after the stream); attr is copied by libpulse.
                unsafe {
                    (lib.stream_set_read_callback)(stream.as_ptr(), Some(on_readable), side);
                    (lib.stream_connect_record)(
                        stream.as_ptr(),
                        std::ptr::null(),
                        &attr,
                        PA_STREAM_ADJUST_LATENCY,
                    )
                }
            }
            // 15 ms queued at the server, asked for 10 ms at a time (our
            // ring buffer primes 40 ms in front of it). With 40 ms queued the
            // echo canceller cancelled 6-18 dB of a speaker's echo, with
            // 10-15 ms 25-33 dB (24 through ALSA's 10 ms periods); 5 ms
            // requests cost 70 % more CPU than 10 ms ones (D100).
            Direction::Playback => {
                let attr = BufferAttr {
                    maxlength: DEFAULT,
                    tlength: frame_bytes * 3 / 4,
                    prebuf: DEFAULT,
                    minreq: frame_bytes / 2,
                    fragsize: DEFAULT,
                };
                // SAFETY: as for the record stream; null volume and sync
                // stream are the defaults.
                unsafe {
                    (lib.stream_set_write_callback)(stream.as_ptr(), Some(on_writable), side);
                    (lib.stream_connect_playback)(
                        stream.as_ptr(),
                        std::ptr::null(),
                        &attr,
                        PA_STREAM_ADJUST_LATENCY,
                        std::ptr::null(),
                        std::ptr::null_mut(),
                    )
                }
            }
        };
        if connected < 0 {
            return Err(self.context_error());
        }
        loop {
            match self.stream_state() {
                PA_STREAM_READY => return Ok(()),
                PA_STREAM_FAILED | PA_STREAM_TERMINATED => return Err(self.context_error()),
                _ => self.iterate_until(deadline)?,
            }
        }
    }

    fn stream_state(&self) -> c_int {
        // SAFETY: the stream, when there is one, is live.
        self.stream.map_or(PA_STREAM_TERMINATED, |s| unsafe {
            (self.library.stream_get_state)(s.as_ptr())
        })
    }

    /// One turn of the main loop, sleeping at most until `deadline`.
    fn iterate_until(&self, deadline: Instant) -> Result<(), String> {
        let left = deadline
            .checked_duration_since(Instant::now())
            .ok_or("the PulseAudio server did not answer in time")?;
        self.iterate(left.min(STOP_CHECK)).map(drop)
    }

    /// Polls the server's socket for at most `timeout` and runs what came:
    /// the stream's callbacks move audio on this thread. Returns how many
    /// events ran.
    fn iterate(&self, timeout: Duration) -> Result<usize, String> {
        let lib = self.library;
        let m = self.mainloop.as_ptr();
        // SAFETY: the main loop is live and used on this thread only.
        let dispatched = unsafe {
            if (lib.mainloop_prepare)(m, timeout.as_micros().min(i32::MAX as u128) as c_int) < 0
                || (lib.mainloop_poll)(m) < 0
            {
                -1
            } else {
                (lib.mainloop_dispatch)(m)
            }
        };
        usize::try_from(dispatched).map_err(|_| "the PulseAudio main loop stopped".into())
    }

    /// Runs everything that is ready now, without sleeping.
    fn drain(&self) -> Result<(), String> {
        for _ in 0..DRAIN_TURNS {
            if self.iterate(Duration::ZERO)? == 0 {
                break;
            }
        }
        Ok(())
    }

    /// The stream's life on its thread: until the handle is dropped (the
    /// stop line closes) or the server goes (the stream fails: the user's
    /// side reopens it).
    ///
    /// With a `pace`, the thread wakes once a pace and takes everything the
    /// server sent meanwhile: a server whose source runs in 5 ms blocks
    /// (another client asked for them) otherwise wakes it 200 times a
    /// second, for a media thread that reads once a frame from a ring primed
    /// two frames deep (D104). Without one it sleeps until the server wants
    /// something: playback must answer the server's requests in time.
    fn run(self, stop: &std::sync::mpsc::Receiver<()>, what: &str, pace: Option<Duration>) {
        // SAFETY: `side` is live until drop; read-only here.
        let shared = unsafe { &(*self.side).shared }.clone();
        let mut next = Instant::now();
        while let Err(TryRecvError::Empty) = stop.try_recv() {
            let state = self.stream_state();
            if state != PA_STREAM_READY {
                failed(&shared, what, &self.context_error());
                break;
            }
            let turn = match pace {
                None => self.iterate(STOP_CHECK).map(drop),
                Some(pace) => {
                    next += pace;
                    let now = Instant::now();
                    match next.checked_duration_since(now) {
                        Some(wait) => std::thread::sleep(wait),
                        // Late (a busy machine): start the count again.
                        None => next = now,
                    }
                    self.drain()
                }
            };
            if let Err(e) = turn {
                failed(&shared, what, &e);
                break;
            }
        }
    }

    fn context_error(&self) -> String {
        // SAFETY: the context is live.
        let code = unsafe { (self.library.context_errno)(self.context.as_ptr()) };
        self.library.error(code)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let lib = self.library;
        // SAFETY: each object came from its constructor above and is
        // released once, the stream before its context, the context before
        // its main loop, and the callbacks' data last (no callback can run
        // once the main loop is freed).
        unsafe {
            if let Some(stream) = self.stream.take() {
                (lib.stream_set_read_callback)(stream.as_ptr(), None, std::ptr::null_mut());
                (lib.stream_set_write_callback)(stream.as_ptr(), None, std::ptr::null_mut());
                (lib.stream_disconnect)(stream.as_ptr());
                (lib.stream_unref)(stream.as_ptr());
            }
            (lib.context_disconnect)(self.context.as_ptr());
            (lib.context_unref)(self.context.as_ptr());
            (lib.mainloop_free)(self.mainloop.as_ptr());
            drop(Box::from_raw(self.side));
        }
    }
}

/// The server has captured audio for us: every block into the ring.
unsafe extern "C" fn on_readable(stream: Ptr, _nbytes: usize, userdata: Ptr) {
    let Some(lib) = library() else { return };
    // SAFETY: userdata is the Connection's `side`, live while the stream is
    // (the callback is cleared before it is freed), and used only on this
    // thread, inside the main loop's dispatch.
    let side = unsafe { &mut *userdata.cast::<Side>() };
    let Work::Capture(feed) = &mut side.work else {
        return;
    };
    loop {
        let mut data: *const c_void = std::ptr::null();
        let mut len = 0usize;
        // SAFETY: the stream is live (we are in its callback).
        if unsafe { (lib.stream_peek)(stream, &mut data, &mut len) } < 0 || len == 0 {
            return;
        }
        let samples = len / size_of::<f32>();
        if data.is_null() {
            // A hole in the stream (the server lost some): silence.
            feed.push(&mut std::iter::repeat_n(0.0, samples));
        } else {
            // SAFETY: peek gives `len` readable bytes of our sample format
            // (float32, the server aligns blocks to whole samples), valid
            // until the drop below.
            let block = unsafe { std::slice::from_raw_parts(data.cast::<f32>(), samples) };
            feed.push(&mut block.iter().copied());
        }
        // SAFETY: the block peeked above.
        unsafe { (lib.stream_drop)(stream) };
    }
}

/// The server has room: it is given `nbytes` of what to play.
unsafe extern "C" fn on_writable(stream: Ptr, nbytes: usize, userdata: Ptr) {
    let Some(lib) = library() else { return };
    // SAFETY: as in `on_readable`.
    let side = unsafe { &mut *userdata.cast::<Side>() };
    let Work::Playback(playout, block) = &mut side.work else {
        return;
    };
    let samples = nbytes / size_of::<f32>();
    block.clear();
    block.extend((0..samples).map(|_| playout.next().unwrap_or(0.0)));
    // SAFETY: `block` holds `samples` floats; a null free callback makes
    // libpulse copy them before returning.
    let r = unsafe {
        (lib.stream_write)(
            stream,
            block.as_ptr().cast(),
            size_of_val(block.as_slice()),
            std::ptr::null(),
            0,
            PA_SEEK_RELATIVE,
        )
    };
    if r < 0 {
        side.shared.errors.fetch_add(1, Ordering::Relaxed);
    } else {
        playout.played(samples);
    }
}

fn failed(shared: &Shared, what: &str, e: &str) {
    if !shared.failed.swap(true, Ordering::Relaxed) {
        tracing::warn!("{what} stream (PulseAudio): {e}");
    }
}

impl Library {
    fn error(&self, code: c_int) -> String {
        // SAFETY: pa_strerror returns a static string (or null).
        let text = unsafe { (self.strerror)(code) };
        if text.is_null() {
            return format!("error {code}");
        }
        // SAFETY: non-null, NUL-terminated, static.
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_only_the_system_default() {
        for name in ["", "default", "pulse"] {
            assert!(serves(name), "{name:?}");
        }
        for name in ["hw:1,0", "plughw:CARD=Headset", "sysdefault", "ring_a"] {
            assert!(!serves(name), "{name:?}");
        }
    }

    #[test]
    fn a_frame_is_20_ms_at_any_rate() {
        assert_eq!(frame_samples(8000), 160);
        assert_eq!(frame_samples(16000), 320);
        assert_eq!(frame_samples(48000), 960);
    }
}
