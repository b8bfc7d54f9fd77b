//! A one-line progress indicator on stderr for `build`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A one-line progress indicator on stderr, shown only on a terminal and only once the
/// work has taken longer than a moment.
pub struct Progress {
    state: Option<Arc<Mutex<(String, bool)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub fn start(enabled: bool) -> Progress {
        if !enabled {
            return Progress {
                state: None,
                thread: None,
            };
        }
        let state = Arc::new(Mutex::new((String::new(), false)));
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut shown = String::new();
            loop {
                std::thread::sleep(Duration::from_millis(100));
                let (text, done) = shared.lock().map(|s| s.clone()).unwrap_or_default();
                if done {
                    if !shown.is_empty() {
                        super::eprint_raw("\r\x1b[K");
                    }
                    return;
                }
                if started.elapsed() > Duration::from_millis(400) && text != shown {
                    super::eprint_raw(&format!("\r\x1b[K{text}…"));
                    shown = text;
                }
            }
        });
        Progress {
            state: Some(state),
            thread: Some(thread),
        }
    }

    pub fn set(&self, text: &str) {
        if let Some(s) = &self.state
            && let Ok(mut s) = s.lock()
        {
            s.0 = text.to_owned();
        }
    }

    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(s) = &self.state
            && let Ok(mut s) = s.lock()
        {
            s.1 = true;
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}
