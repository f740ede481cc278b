#include "server/core/access_control.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "server/core/clock.h"
#include "storage/user_store.h"

namespace evrouter::core {
namespace {

const Permission kAdmin{PermissionAction::kAdmin, ""};
Permission Publish(std::string pattern) {
  return {PermissionAction::kPublish, std::move(pattern)};
}
Permission Subscribe(std::string pattern) {
  return {PermissionAction::kSubscribe, std::move(pattern)};
}

class AccessControlTest : public ::testing::Test {
 protected:
  AccessControlTest() {
    access_.SetRevocationListener([this] { ++revoked_; });
  }

  // A user with `permissions` and one token; returns the token.
  std::string UserWithToken(const std::string& name,
                            const std::vector<Permission>& permissions) {
    EXPECT_TRUE(access_.CreateUser(name, permissions).ok());
    absl::StatusOr<IssuedToken> issued = access_.IssueToken(name, "test");
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? issued->token : "";
  }

  absl::StatusCode Check(const std::string& token, const Access& access) {
    absl::StatusOr<Caller> caller = access_.Authenticate(token);
    if (!caller.ok()) return caller.status().code();
    return access_.Authorize(*caller, access).code();
  }

  SystemClock clock_;
  std::unique_ptr<UserStore> store_ = NewMemoryUserStore();
  AccessControl access_{store_.get(), &clock_};
  int revoked_ = 0;
};

TEST_F(AccessControlTest, IssuedTokensAreRandomAndOnlyTheirHashIsStored) {
  EXPECT_TRUE(access_.CreateUser("svc", {}).ok());
  absl::StatusOr<IssuedToken> first = access_.IssueToken("svc", "a");
  absl::StatusOr<IssuedToken> second = access_.IssueToken("svc", "b");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->token, second->token);
  EXPECT_NE(first->record.id, second->record.id);
  // evr_ + 12 hex + _ + 43 base64url characters (256 bits).
  EXPECT_EQ(first->token.size(), 4 + 12 + 1 + 43u);
  EXPECT_TRUE(absl::StartsWith(first->token, "evr_" + first->record.id + "_"));
  absl::StatusOr<std::vector<UserRecord>> stored = store_->LoadUsers();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ((*stored)[0].tokens.size(), 2u);
  for (const TokenRecord& token : (*stored)[0].tokens) {
    EXPECT_EQ(token.hash.size(), 32u);
    EXPECT_EQ(token.hash.find(first->token.substr(17)), std::string::npos);
  }
  EXPECT_EQ(HashToken(first->token), first->record.hash);
}

TEST_F(AccessControlTest, UnknownMissingOrMalformedTokensAreUnauthenticated) {
  UserWithToken("svc", {kAdmin});
  for (const std::string& token :
       {std::string(""), std::string("evr_000000000000_nope"),
        std::string(5000, 'x')}) {
    EXPECT_EQ(access_.Authenticate(token).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(access_.auth_failures(), 3u);
}

TEST_F(AccessControlTest, PermissionsMatchNamesWithTopicPatterns) {
  const std::string token =
      UserWithToken("svc", {Publish("orders.*"), Subscribe("billing.#")});
  struct Case {
    Access access;
    absl::StatusCode want;
  } cases[] = {
      {{PermissionAction::kPublish, "orders.eu"}, absl::StatusCode::kOk},
      {{PermissionAction::kPublish, "orders"},
       absl::StatusCode::kPermissionDenied},
      {{PermissionAction::kPublish, "orders.eu.x"},
       absl::StatusCode::kPermissionDenied},
      {{PermissionAction::kSubscribe, "orders.eu"},
       absl::StatusCode::kPermissionDenied},
      {{PermissionAction::kSubscribe, "billing"}, absl::StatusCode::kOk},
      {{PermissionAction::kSubscribe, "billing.a.b"}, absl::StatusCode::kOk},
      {{PermissionAction::kPublish, "billing"},
       absl::StatusCode::kPermissionDenied},
      {{PermissionAction::kAdmin, ""}, absl::StatusCode::kPermissionDenied},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Check(token, c.access), c.want)
        << PermissionActionName(c.access.action) << " " << c.access.name;
  }
}

TEST_F(AccessControlTest, AdminMayDoEverything) {
  const std::string token = UserWithToken("root", {kAdmin});
  EXPECT_EQ(Check(token, {}), absl::StatusCode::kOk);
  EXPECT_EQ(Check(token, {PermissionAction::kPublish, "x"}),
            absl::StatusCode::kOk);
  EXPECT_EQ(Check(token, {PermissionAction::kSubscribe, "y.z"}),
            absl::StatusCode::kOk);
}

TEST_F(AccessControlTest, RevokingATokenEndsItButNotTheUsersOtherTokens) {
  const std::string old_token = UserWithToken("svc", {Publish("#")});
  absl::StatusOr<IssuedToken> rotated = access_.IssueToken("svc", "new");
  ASSERT_TRUE(rotated.ok());
  absl::StatusOr<Caller> old_caller = access_.Authenticate(old_token);
  ASSERT_TRUE(old_caller.ok());
  ASSERT_TRUE(access_.RevokeToken(old_caller->token_id).ok());
  EXPECT_EQ(revoked_, 1);
  EXPECT_EQ(access_.Verify(*old_caller).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(access_.Authenticate(old_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Check(rotated->token, {PermissionAction::kPublish, "a"}),
            absl::StatusCode::kOk);
  EXPECT_EQ(access_.RevokeToken(old_caller->token_id).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AccessControlTest, DeletingAUserEndsAllItsTokens) {
  const std::string token = UserWithToken("svc", {Publish("#")});
  absl::StatusOr<Caller> caller = access_.Authenticate(token);
  ASSERT_TRUE(caller.ok());
  ASSERT_TRUE(access_.DeleteUser("svc").ok());
  EXPECT_EQ(revoked_, 1);
  EXPECT_EQ(
      access_.Authorize(*caller, {PermissionAction::kPublish, "a"}).code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(access_.Authenticate(token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(access_.DeleteUser("svc").code(), absl::StatusCode::kNotFound);
  // The name can be taken again, without the old token.
  ASSERT_TRUE(access_.CreateUser("svc", {Publish("#")}).ok());
  EXPECT_EQ(access_.Authenticate(token).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AccessControlTest, GrantAndRevokeTakeEffectAtOnceAndAreIdempotent) {
  const std::string token = UserWithToken("svc", {});
  const Access publish{PermissionAction::kPublish, "orders"};
  EXPECT_EQ(Check(token, publish), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(access_.Grant("svc", Publish("orders")).ok());
  absl::StatusOr<UserRecord> user = access_.Grant("svc", Publish("orders"));
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->permissions.size(), 1u);
  EXPECT_EQ(Check(token, publish), absl::StatusCode::kOk);
  ASSERT_TRUE(access_.Revoke("svc", Publish("orders")).ok());
  EXPECT_EQ(Check(token, publish), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(access_.Revoke("svc", Publish("orders")).ok());
  EXPECT_EQ(access_.Grant("nobody", kAdmin).status().code(),
            absl::StatusCode::kNotFound);
  // The store has what memory has.
  absl::StatusOr<std::vector<UserRecord>> stored = store_->LoadUsers();
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE((*stored)[0].permissions.empty());
}

TEST_F(AccessControlTest, BadNamesPatternsAndDescriptionsAreInvalidArgument) {
  EXPECT_EQ(access_.CreateUser("", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(access_.CreateUser("a b", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(access_.CreateUser("svc", {Publish("")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(access_.CreateUser("svc", {Publish("a..b")}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(access_.CreateUser("svc", {{PermissionAction::kAdmin, "x"}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(access_.CreateUser("svc", {}).ok());
  EXPECT_EQ(access_.CreateUser("svc", {}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(access_.IssueToken("svc", std::string(300, 'd')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(access_.IssueToken("svc", "\xff").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(access_.IssueToken("nobody", "").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AccessControlTest, FirstStartWithoutATokenCreatesTheAdminOnce) {
  absl::StatusOr<std::optional<std::string>> created = access_.Bootstrap({});
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(created->has_value());
  EXPECT_EQ(Check(**created, {}), absl::StatusCode::kOk);
  // A later start (users exist) creates nothing.
  absl::StatusOr<std::optional<std::string>> again = access_.Bootstrap({});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(access_.ListUsers().size(), 1u);
}

TEST_F(AccessControlTest, AGivenAdminTokenIsInstalledAndReplacedOnChange) {
  const std::string first = "operator-token-aaaaaaaaaaaa";
  const std::string second = "operator-token-bbbbbbbbbbbb";
  ASSERT_TRUE(access_.Bootstrap(first).ok());
  ASSERT_TRUE(access_.Bootstrap(first).ok());  // unchanged: a no-op
  EXPECT_EQ(Check(first, {}), absl::StatusCode::kOk);
  ASSERT_TRUE(access_.Bootstrap(second).ok());
  EXPECT_EQ(Check(second, {}), absl::StatusCode::kOk);
  EXPECT_EQ(Check(first, {}), absl::StatusCode::kUnauthenticated);
  // The admin permission comes back if it was taken away.
  ASSERT_TRUE(access_.Revoke(kBootstrapAdminUser, kAdmin).ok());
  EXPECT_EQ(Check(second, {}), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(access_.Bootstrap(second).ok());
  EXPECT_EQ(Check(second, {}), absl::StatusCode::kOk);
  // A reload from the store sees the same.
  AccessControl reloaded(store_.get(), &clock_);
  ASSERT_TRUE(reloaded.Load().ok());
  absl::StatusOr<Caller> caller = reloaded.Authenticate(second);
  ASSERT_TRUE(caller.ok());
  EXPECT_TRUE(reloaded.Authorize(*caller, {}).ok());
  EXPECT_EQ(access_.Bootstrap(std::string("short")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace evrouter::core
