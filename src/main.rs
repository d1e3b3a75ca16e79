fn main() -> std::process::ExitCode {
    vanish::cli::main()
}
