#ifndef EVROUTER_SERVER_HTTP_DASHBOARD_ASSETS_H_
#define EVROUTER_SERVER_HTTP_DASHBOARD_ASSETS_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace evrouter::http {

// One file of server/http/dashboard/, compiled in (embed_assets.cmake).
struct DashboardAsset {
  absl::string_view path;          // "/index.html"
  absl::string_view content_type;  // by the file's extension
  absl::string_view body;
};

// Every dashboard file, sorted by path.
absl::Span<const DashboardAsset> DashboardAssets();

}  // namespace evrouter::http

#endif  // EVROUTER_SERVER_HTTP_DASHBOARD_ASSETS_H_
