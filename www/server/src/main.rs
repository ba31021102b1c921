//! `wasm-session-server`: the reference backend for the wasm-session demo and end-to-end tests.

use std::io::Write;
use std::process::ExitCode;

use wasm_session_server::config::{parse_args, USAGE};
use wasm_session_server::{router, App, Clock, Mode};

#[tokio::main]
async fn main() -> ExitCode {
    let cfg = match parse_args(std::env::args().skip(1)) {
        Ok(Some(cfg)) => cfg,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("wasm-session-server: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind((cfg.host.as_str(), cfg.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("wasm-session-server: cannot listen on {}:{}: {e}", cfg.host, cfg.port);
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("wasm-session-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mode = match cfg.mode {
        Mode::Bearer => format!("bearer, refresh token in {}", cfg.refresh_token_in.as_str()),
        Mode::Cookie => "cookie".to_owned(),
    };
    let app = router(App::new(cfg, Clock::system()));
    println!("wasm-session-server listening on http://{addr} (mode {mode})");
    let _ = std::io::stdout().flush();
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wasm-session-server: {e}");
            ExitCode::FAILURE
        }
    }
}
