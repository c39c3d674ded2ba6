//! Running independent tasks on every core: scoped std threads taking the next task index from
//! a shared counter, so that a slow task (a patient who takes longer) does not hold the others
//! up. Results come back in task order, whatever order they finished in.
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The number of threads to use when none is asked for: every core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f(i)` for each `i` in `tasks`, on `threads` threads; results in the order of `tasks`.
pub fn map<T: Send>(tasks: &[usize], threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..tasks.len()).map(|_| None).collect());
    let threads = threads.clamp(1, tasks.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= tasks.len() {
                        break;
                    }
                    let r = f(tasks[k]);
                    // A poisoned lock means another task panicked; the scope re-raises it.
                    if let Ok(mut out) = results.lock() {
                        out[k] = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.expect("every task ran"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_task_order() {
        let tasks: Vec<usize> = (0..100).rev().collect();
        let out = super::map(&tasks, 4, |i| i * 2);
        assert_eq!(out, tasks.iter().map(|i| i * 2).collect::<Vec<_>>());
    }
}
