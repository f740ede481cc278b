// Default options of the sanitizer runtimes for every executable of a
// sanitized build (see CMakeLists.txt). The runtimes call these before main;
// the environment variables are parsed after them and win.
//
// Every report stops the process with exit code 86, which no evrouter binary
// uses otherwise, so a test that checks an exit code sees it; tests that start
// evrouterd also scan its log for sanitizer reports (tests/support and
// tests/shell/lib.sh).

#define EVROUTER_SANITIZER_DEFAULT \
  extern "C" __attribute__((visibility("default"), used)) const char*

EVROUTER_SANITIZER_DEFAULT __asan_default_options() {
  return "halt_on_error=1:detect_leaks=1:exitcode=86:"
         "check_initialization_order=1";
}

EVROUTER_SANITIZER_DEFAULT __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:exitcode=86";
}

EVROUTER_SANITIZER_DEFAULT __lsan_default_options() {
  return "suppressions=" EVROUTER_LSAN_SUPPRESSIONS;
}
