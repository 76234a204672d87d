//! The panic hook restores the terminal before the previous hook prints the report. This file
//! holds a single test because panic hooks are process-wide.

use std::sync::{Arc, Mutex};

#[test]
fn restore_runs_before_the_previous_hook() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = (order.clone(), order.clone());
    let previous: Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
        Box::new(move |_| b.lock().unwrap().push("report"));
    let hook =
        specbench::terminal::chain_panic_hook(move || a.lock().unwrap().push("restore"), previous);
    let default = std::panic::take_hook();
    std::panic::set_hook(hook);
    let result = std::panic::catch_unwind(|| panic!("boom"));
    std::panic::set_hook(default);
    assert!(result.is_err());
    assert_eq!(*order.lock().unwrap(), ["restore", "report"]);
}
