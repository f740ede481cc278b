#include "client/cli/help_text.h"

#include "absl/strings/str_join.h"

namespace evrouter::cli {

std::string ShortUsage() {
  return "usage: evrouter [--server HOST:PORT] [--token TOKEN | --token-file "
         "FILE] [--tls]\n"
         "                [--json] [--timeout DURATION] COMMAND ...\n"
         "commands: exchange create|get|list|delete, "
         "queue create|get|list|delete,\n"
         "          consumer create|list|seek|delete, publish, subscribe, "
         "stats, health,\n"
         "          user create|list|delete|grant|revoke, token issue|revoke, "
         "help\n"
         "run 'evrouter --help' for details\n";
}

std::string HelpText() {
  return absl::StrJoin(
      {
          "usage: evrouter [GLOBAL FLAGS] COMMAND [ARGS]",
          "",
          "Global flags:",
          "  --server HOST:PORT   server address (env EVROUTER_SERVER, "
          "default 127.0.0.1:50051)",
          "  --json               print one JSON object per line",
          "  --timeout DURATION   deadline per call, e.g. 500ms, 10s "
          "(default 10s)",
          "  --help, -h           print this help",
          "",
          "Credentials (the first one given wins, in this order):",
          "  --token TOKEN        send TOKEN (evr_...) with every call; other "
          "local users",
          "                       can see it in ps, the sources below they "
          "cannot",
          "  env EVROUTER_TOKEN   the token",
          "  --token-file FILE    read the token from FILE (surrounding "
          "whitespace trimmed)",
          "  env EVROUTER_TOKEN_FILE",
          "                       the token file",
          "  ${XDG_CONFIG_HOME:-$HOME/.config}/evrouter/token",
          "                       read when it exists; without any token "
          "the server",
          "                       answers UNAUTHENTICATED (unless its auth "
          "is off)",
          "  --tls                TLS, verifying the server against the "
          "system's CAs",
          "  --tls-ca FILE        verify the server against this CA "
          "certificate (PEM;",
          "                       env EVROUTER_TLS_CA); implies --tls",
          "  --tls-cert FILE --tls-key FILE",
          "                       present this client certificate and key "
          "(PEM; env",
          "                       EVROUTER_TLS_CERT, EVROUTER_TLS_KEY) for "
          "mutual TLS;",
          "                       implies --tls",
          "",
          "Commands:",
          "  exchange create NAME [--kind fanout|direct|topic]",
          "                       create an exchange (default kind fanout)",
          "  exchange get NAME    show one exchange",
          "  exchange list        list all exchanges",
          "  exchange delete NAME delete an exchange and its events",
          "  queue create NAME --exchange EX [--binding KEY]... "
          "[--limit-size N]",
          "          [--from-earliest]",
          "                       create a queue on an exchange; --binding is "
          "an event",
          "                       type (direct) or pattern (topic), none for "
          "fanout;",
          "                       --limit-size: events buffered in memory "
          "(server default);",
          "                       --from-earliest: include the events already "
          "stored",
          "  queue get NAME       show one queue",
          "  queue list [--exchange EX]",
          "                       list queues (of one exchange)",
          "  queue delete NAME    delete a queue and its consumers",
          "  consumer create QUEUE NAME",
          "                       create a consumer at the start of the queue",
          "  consumer list [--queue Q]",
          "                       list consumers (of one queue)",
          "  consumer seek QUEUE NAME (--offset N | --time RFC3339)",
          "                       move a SLEEPING consumer: its next event is "
          "the first",
          "                       at or after the offset or stored at or after "
          "the time",
          "  consumer delete QUEUE NAME",
          "                       delete a consumer",
          "  publish EXCHANGE --type T [--source S] [--content-type CT]",
          "          [--header K=V]... [--id UUID] [PAYLOAD ...]",
          "                       publish one event per PAYLOAD argument;",
          "                       without PAYLOAD, read one JSON event per "
          "line from",
          "                       stdin (evrouter.v1.Event, payload in "
          "base64); the",
          "                       flags fill fields a line leaves empty.",
          "                       --id names the event and needs exactly one "
          "PAYLOAD;",
          "                       stdin lines carry their own \"id\" (none = "
          "server-made)",
          "  subscribe QUEUE --consumer NAME "
          "[--from resume|earliest|latest|OFFSET|TIME]",
          "          [--max-in-flight N] [--takeover] [--limit N] "
          "[--wait SECONDS]",
          "                       print events as they arrive, one per line "
          "(offset, type,",
          "                       id, payload as text or base64; --json: the "
          "event as",
          "                       JSON), acknowledging each batch once "
          "printed. --from",
          "                       moves the consumer first (default resume); "
          "TIME is",
          "                       RFC3339. --takeover ends another stream of "
          "the consumer.",
          "                       Ends with exit 0 after --limit events, after "
          "--wait",
          "                       seconds without events, or on "
          "SIGINT/SIGTERM; "
          "it first",
          "                       waits (up to --timeout) until the server has "
          "the acks",
          "  stats                exchanges (rates, heads), queues (rates, "
          "buffer fill) and",
          "                       consumers (state, committed offset, lag)",
          "  health [SERVICE]     print the serving status; exit 0 only when "
          "SERVING",
          "  help                 print this help",
          "",
          "Users and tokens (need the admin permission):",
          "  user create NAME [--admin] [--publish PATTERN]... "
          "[--subscribe PATTERN]...",
          "                       create a user with these permissions; "
          "PATTERN is over",
          "                       dot-separated exchange (publish) or queue "
          "(subscribe)",
          "                       names: '*' one word, '#' zero or more, "
          "'#' alone all",
          "  user list            users, their permissions and token ids",
          "  user delete NAME     delete a user and its tokens",
          "  user grant NAME admin|publish PATTERN|subscribe PATTERN",
          "  user revoke NAME admin|publish PATTERN|subscribe PATTERN",
          "                       add or remove one permission; open streams "
          "it no longer",
          "                       allows end",
          "  token issue USER [--description TEXT]",
          "                       print a new token for USER on stdout "
          "(TOKEN=$(evrouter",
          "                       token issue svc)); it is shown only this "
          "once",
          "  token revoke ID|TOKEN",
          "                       revoke a token by its id (user list) or "
          "the token itself",
          "",
          "Exit codes: 0 success, 1 error from the server or input, 2 usage "
          "error.",
          "",
      },
      "\n");
}

}  // namespace evrouter::cli
