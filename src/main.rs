fn main() -> std::process::ExitCode {
    odg::cli::run()
}
