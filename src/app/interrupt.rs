//! Ctrl-C and SIGTERM in the binaries that keep checkpoints: the first asks the run to stop at
//! its next pause, with a checkpoint that the same command continues from
//! ([`crate::evolution::checkpoint::request_stop`]); a second one, or one that comes while no
//! run can write a checkpoint (before its first pause, or with `--checkpoint-every inf`), ends
//! the process at once, as the signal does by default.

/// Installs the handlers (on Unix; elsewhere the signals keep their default action). A Ctrl-C
/// that the process inherited as ignored (a job started in the background by a
/// non-interactive shell) stays ignored.
pub fn install() {
    #[cfg(unix)]
    unix::install();
}

#[cfg(unix)]
mod unix {
    use crate::evolution::checkpoint::request_stop;

    /// Only async-signal-safe calls: atomics, sigaction(2), raise(3). (The notice that the run
    /// will stop is printed by the progress bar's watcher, above the bar:
    /// [`crate::app::report::progress_bar`].)
    extern "C" fn on_signal(signal: libc::c_int) {
        if request_stop(signal) {
            return;
        }
        // The default action: the process ends by the signal, as its parent expects.
        // SAFETY: a zeroed sigaction with SIG_DFL, then the signal raised again.
        unsafe {
            let mut default: libc::sigaction = std::mem::zeroed();
            default.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(signal, &default, std::ptr::null_mut());
            libc::raise(signal);
        }
    }

    pub(super) fn install() {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: sigaction reads and writes the structs given; the handler makes only
            // async-signal-safe calls.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, std::ptr::null(), &mut old) != 0
                    || (signal == libc::SIGINT && old.sa_sigaction == libc::SIG_IGN)
                {
                    continue;
                }
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    }
}
