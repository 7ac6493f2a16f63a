//! The cached access token as each ERP thread sees it. Every thread answers
//! `cached_access_token()` from its own copy of the published token (so
//! threads calling at once do not slow each other down); these tests prove
//! that a copy is never served after its token was invalidated or the state
//! changed — on the thread that made the change, or on another one after it
//! synchronized with that one (here: a message over a channel) — and that
//! one configurator's token is never served for another.
//!
//! Time is a manual clock; nothing waits on wall-clock time.

use std::any::Any;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use smartlink_core::*;

use fixtures::{ManualClock, memory_platform};
use smartlink_testkit::fixtures;

const SEED: &str = r#"{"environments":[
  {"id":"env_1","name":"Um","kind":"production","bindings":[
     {"installation_id":"erp-1","installation_name":"Um","line":"protheus","bound_at":"2026-01-01T00:00:00Z"}]},
  {"id":"env_2","name":"Dois","kind":"production","bindings":[
     {"installation_id":"erp-2","installation_name":"Dois","line":"protheus","bound_at":"2026-01-01T00:00:00Z"}]}
]}"#;

type Job = Box<dyn FnOnce() -> Box<dyn Any + Send> + Send>;

/// Another thread, kept for the whole test (so its copies persist between
/// calls), that runs what it is sent. Sending a job and receiving its
/// answer are the synchronization: everything this thread did before
/// `run` happens before the job, and the job before `run` returns.
struct OtherThread {
    jobs: Option<mpsc::Sender<Job>>,
    answers: mpsc::Receiver<Box<dyn Any + Send>>,
    thread: Option<JoinHandle<()>>,
}

impl OtherThread {
    fn spawn() -> Self {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (outbox, answers) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            while let Ok(job) = inbox.recv() {
                if outbox.send(job()).is_err() {
                    return;
                }
            }
        });
        Self {
            jobs: Some(jobs),
            answers,
            thread: Some(thread),
        }
    }

    fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> T {
        let job: Job = Box::new(move || Box::new(job()));
        self.jobs.as_ref().unwrap().send(job).unwrap();
        *self.answers.recv().unwrap().downcast::<T>().unwrap()
    }

    fn cached(&self, cfg: &Configurator) -> Option<AccessToken> {
        let cfg = cfg.clone();
        self.run(move || cfg.cached_access_token())
    }
}

impl Drop for OtherThread {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn configured(id: &str, platform: Arc<dyn Platform>, clock: &ManualClock) -> Configurator {
    fixtures::configured(id, platform, Arc::new(MemoryStateStore::new()), clock).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_is_never_served_after_its_token_was_invalidated() {
    let clock = ManualClock::new();
    let cfg = configured("erp-1", memory_platform(SEED), &clock).await;
    let other = OtherThread::spawn();
    let mut last: Option<AccessToken> = None;
    for round in 0..100 {
        let token = cfg.access_token().await.unwrap();
        assert_ne!(Some(&token), last.as_ref(), "round {round}: a new token");
        // Both threads hold a copy of it.
        assert_eq!(cfg.cached_access_token().as_ref(), Some(&token));
        assert_eq!(other.cached(&cfg).as_ref(), Some(&token));
        if round % 2 == 0 {
            // Invalidated here: neither this thread nor, once told, the
            // other one serves it again.
            assert!(cfg.invalidate_token(&token));
            assert_eq!(cfg.cached_access_token(), None, "round {round}");
            assert_eq!(other.cached(&cfg), None, "round {round}");
        } else {
            // Invalidated on the other thread (by its value, as the C ABI
            // does); this one has synchronized with it through the answer.
            let (c, value) = (cfg.clone(), token.expose_secret().to_owned());
            assert!(other.run(move || c.invalidate_token_value(&value)));
            assert_eq!(cfg.cached_access_token(), None, "round {round}");
            assert_eq!(other.cached(&cfg), None, "round {round}");
        }
        last = Some(token);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_is_never_served_after_the_state_changed() {
    let clock = ManualClock::new();
    let cfg = configured("erp-1", memory_platform(SEED), &clock).await;
    let other = OtherThread::spawn();

    // New credentials stored (a rotation): the old credentials' token goes.
    let before = cfg.access_token().await.unwrap();
    assert_eq!(cfg.cached_access_token().as_ref(), Some(&before));
    assert_eq!(other.cached(&cfg).as_ref(), Some(&before));
    cfg.rotate_credentials().await.unwrap();
    assert_ne!(cfg.cached_access_token().as_ref(), Some(&before));
    assert_ne!(other.cached(&cfg).as_ref(), Some(&before));

    // The state forgotten, on the other thread: no token anywhere.
    let token = cfg.access_token().await.unwrap();
    assert_ne!(token, before);
    assert_eq!(cfg.cached_access_token().as_ref(), Some(&token));
    assert_eq!(other.cached(&cfg).as_ref(), Some(&token));
    let c = cfg.clone();
    other.run(move || c.forget_local().unwrap());
    assert!(cfg.needs_configuration());
    assert_eq!(cfg.cached_access_token(), None);
    assert_eq!(other.cached(&cfg), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_configurators_token_is_never_served_for_another() {
    let clock = ManualClock::new();
    let platform = memory_platform(SEED);
    let one = configured("erp-1", platform.clone(), &clock).await;
    let two = configured("erp-2", platform.clone(), &clock).await;
    let unconfigured = Configurator::builder(
        InstallationSpec::parse("erp-3", "protheus", "production", None).unwrap(),
        platform.clone(),
        Arc::new(MemoryStateStore::new()),
    )
    .token_options(clock.options())
    .build()
    .unwrap();
    let (a, b) = (
        one.access_token().await.unwrap(),
        two.access_token().await.unwrap(),
    );
    assert_ne!(a, b);
    assert_ne!(a.expose_secret(), b.expose_secret());
    let other = OtherThread::spawn();
    for _ in 0..3 {
        for cached in [
            |c: &Configurator, _: &OtherThread| c.cached_access_token(),
            |c: &Configurator, o: &OtherThread| o.cached(c),
        ] {
            assert_eq!(cached(&one, &other).as_ref(), Some(&a));
            assert_eq!(cached(&two, &other).as_ref(), Some(&b));
            assert_eq!(cached(&unconfigured, &other), None);
            assert_eq!(
                cached(&one, &other).unwrap().expose_secret(),
                a.expose_secret()
            );
        }
    }

    // A configurator dropped while both threads hold a copy of its token,
    // then a new one (whose cache may well take the same memory): the new
    // one has no token until it obtains its own.
    drop(one);
    drop(a);
    let again = Configurator::builder(
        InstallationSpec::parse("erp-3", "protheus", "production", None).unwrap(),
        platform,
        Arc::new(MemoryStateStore::new()),
    )
    .token_options(clock.options())
    .build()
    .unwrap();
    assert_eq!(again.cached_access_token(), None);
    assert_eq!(other.cached(&again), None);
    assert_eq!(two.cached_access_token().as_ref(), Some(&b));
    assert_eq!(other.cached(&two).as_ref(), Some(&b));
}

/// Asks for the cached token while its thread ends, after the library's
/// own per-thread storage (registered later, so destroyed earlier) is gone.
struct AsksOnExit(std::cell::RefCell<Option<(Configurator, mpsc::Sender<Option<AccessToken>>)>>);

impl Drop for AsksOnExit {
    fn drop(&mut self) {
        if let Some((cfg, answer)) = self.0.borrow_mut().take() {
            let _ = answer.send(cfg.cached_access_token());
        }
    }
}

thread_local! {
    static ASKS_ON_EXIT: AsksOnExit = const { AsksOnExit(std::cell::RefCell::new(None)) };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_asking_while_it_ends_still_gets_the_token() {
    let clock = ManualClock::new();
    let cfg = configured("erp-1", memory_platform(SEED), &clock).await;
    let token = cfg.access_token().await.unwrap();
    let (answer, answers) = mpsc::channel();
    let c = cfg.clone();
    std::thread::spawn(move || {
        // The host's destructor first, then the thread's copy of the token.
        ASKS_ON_EXIT.with(|a| *a.0.borrow_mut() = Some((c.clone(), answer)));
        assert!(c.cached_access_token().is_some());
    })
    .join()
    .expect("the thread ended normally");
    assert_eq!(answers.recv().unwrap(), Some(token));
}
