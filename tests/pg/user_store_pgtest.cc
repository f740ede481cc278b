// The UserStore contract, run against the in-memory and the Postgres store so
// that both are proven to answer alike.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "storage/migrations.h"
#include "storage/pg_migrator.h"
#include "storage/pg_user_store.h"
#include "storage/user_store.h"
#include "tests/support/pg_test_database.h"

namespace evrouter::testing {
namespace {

const absl::Time kBase = absl::FromUnixMicros(1700000000123456);

// One empty store and what it needs.
class UserStoreHarness {
 public:
  virtual ~UserStoreHarness() = default;
  virtual UserStore* store() = 0;  // null when setup failed
};

class MemoryHarness : public UserStoreHarness {
 public:
  UserStore* store() override { return store_.get(); }

 private:
  std::unique_ptr<UserStore> store_ = NewMemoryUserStore();
};

class PgHarness : public UserStoreHarness {
 public:
  PgHarness() {
    if (db_.dsn().empty()) return;  // PgTestDatabase recorded why
    if (absl::Status migrated =
            ApplyMigrations(db_.dsn(), EmbeddedMigrations());
        !migrated.ok()) {
      ADD_FAILURE() << "migrations: " << migrated;
      return;
    }
    absl::StatusOr<std::unique_ptr<UserStore>> store =
        NewPgUserStore({.dsn = db_.dsn(), .pool_size = 1});
    if (!store.ok()) {
      ADD_FAILURE() << "open store: " << store.status();
      return;
    }
    store_ = *std::move(store);
  }
  UserStore* store() override { return store_.get(); }

 private:
  PgTestDatabase db_;
  std::unique_ptr<UserStore> store_;
};

struct UserStoreKind {
  std::string name;
  std::function<std::unique_ptr<UserStoreHarness>()> make;
};

class UserStoreContractTest : public ::testing::TestWithParam<UserStoreKind> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    store_ = harness_->store();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<UserStoreHarness> harness_;
  UserStore* store_ = nullptr;
};

// A hash with a zero byte and bytes above 0x7f.
std::string Hash(char first) {
  std::string hash(32, '\xfe');
  hash[0] = first;
  hash[1] = '\0';
  return hash;
}

TokenRecord Token(std::string id, char first) {
  return {.id = std::move(id),
          .hash = Hash(first),
          .description = "for tests, ünïcode",
          .created_at = kBase + absl::Seconds(first)};
}

UserRecord Alice() {
  return {.name = "alice",
          .permissions = {{PermissionAction::kPublish, "orders.*"},
                          {PermissionAction::kSubscribe, "orders.#"}},
          .tokens = {Token("0000000000a1", 1)},
          .created_at = kBase};
}

void ExpectSameUser(const UserRecord& got, const UserRecord& want) {
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.permissions, want.permissions);
  EXPECT_EQ(got.created_at, want.created_at);
  ASSERT_EQ(got.tokens.size(), want.tokens.size());
  for (size_t i = 0; i < got.tokens.size(); ++i) {
    EXPECT_EQ(got.tokens[i].id, want.tokens[i].id);
    EXPECT_EQ(got.tokens[i].hash, want.tokens[i].hash);
    EXPECT_EQ(got.tokens[i].description, want.tokens[i].description);
    EXPECT_EQ(got.tokens[i].created_at, want.tokens[i].created_at);
  }
}

TEST_P(UserStoreContractTest, CreatedUsersLoadBackSortedWithEverything) {
  UserRecord bob{.name = "bob",
                 .permissions = {{PermissionAction::kAdmin, ""}},
                 .created_at = kBase + absl::Seconds(1)};
  ASSERT_TRUE(store_->CreateUser(bob).ok());
  ASSERT_TRUE(store_->CreateUser(Alice()).ok());
  absl::StatusOr<std::vector<UserRecord>> users = store_->LoadUsers();
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 2u);
  ExpectSameUser((*users)[0], Alice());
  ExpectSameUser((*users)[1], bob);
}

TEST_P(UserStoreContractTest, ATakenNameIsAlreadyExistsAndChangesNothing) {
  ASSERT_TRUE(store_->CreateUser(Alice()).ok());
  UserRecord again = Alice();
  again.permissions.clear();
  again.tokens = {Token("0000000000b2", 2)};
  EXPECT_EQ(store_->CreateUser(again).code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<std::vector<UserRecord>> users = store_->LoadUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  ExpectSameUser((*users)[0], Alice());
}

TEST_P(UserStoreContractTest, DeletingAUserDeletesItsTokensAndPermissions) {
  ASSERT_TRUE(store_->CreateUser(Alice()).ok());
  ASSERT_TRUE(store_->DeleteUser("alice").ok());
  EXPECT_EQ(store_->DeleteUser("alice").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteToken("0000000000a1").code(),
            absl::StatusCode::kNotFound);
  // The same name and token hash can be used again.
  ASSERT_TRUE(store_->CreateUser(Alice()).ok());
  absl::StatusOr<std::vector<UserRecord>> users = store_->LoadUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  ExpectSameUser((*users)[0], Alice());
}

TEST_P(UserStoreContractTest, SetPermissionsReplacesThem) {
  ASSERT_TRUE(store_->CreateUser(Alice()).ok());
  const std::vector<Permission> now = {{PermissionAction::kAdmin, ""},
                                       {PermissionAction::kPublish, "#"}};
  ASSERT_TRUE(store_->SetPermissions("alice", now).ok());
  EXPECT_EQ(store_->SetPermissions("nobody", now).code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<UserRecord>> users = store_->LoadUsers();
  ASSERT_TRUE(users.ok());
  EXPECT_EQ((*users)[0].permissions, now);
  ASSERT_TRUE(store_->SetPermissions("alice", {}).ok());
  users = store_->LoadUsers();
  ASSERT_TRUE(users.ok());
  EXPECT_TRUE((*users)[0].permissions.empty());
}

TEST_P(UserStoreContractTest, PutTokenAddsOrReplacesByIdAndRefusesAKnownHash) {
  ASSERT_TRUE(store_->CreateUser(Alice()).ok());
  ASSERT_TRUE(store_->CreateUser({.name = "bob", .created_at = kBase}).ok());
  ASSERT_TRUE(store_->PutToken("alice", Token("0000000000c3", 3)).ok());
  // Same id again, now for bob and with another hash: moved and replaced.
  ASSERT_TRUE(store_->PutToken("bob", Token("0000000000c3", 4)).ok());
  EXPECT_EQ(store_->PutToken("nobody", Token("0000000000d5", 5)).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->PutToken("bob", Token("0000000000e6", 1)).code(),
            absl::StatusCode::kAlreadyExists);  // alice's token's hash
  absl::StatusOr<std::vector<UserRecord>> users = store_->LoadUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  ASSERT_EQ((*users)[0].tokens.size(), 1u);
  EXPECT_EQ((*users)[0].tokens[0].id, "0000000000a1");
  ASSERT_EQ((*users)[1].tokens.size(), 1u);
  EXPECT_EQ((*users)[1].tokens[0].id, "0000000000c3");
  EXPECT_EQ((*users)[1].tokens[0].hash, Hash(4));
}

TEST_P(UserStoreContractTest, DeleteTokenRemovesOnlyThatToken) {
  UserRecord alice = Alice();
  alice.tokens.push_back(Token("0000000000b2", 2));
  ASSERT_TRUE(store_->CreateUser(alice).ok());
  ASSERT_TRUE(store_->DeleteToken("0000000000a1").ok());
  EXPECT_EQ(store_->DeleteToken("0000000000a1").code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<UserRecord>> users = store_->LoadUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ((*users)[0].tokens.size(), 1u);
  EXPECT_EQ((*users)[0].tokens[0].id, "0000000000b2");
}

INSTANTIATE_TEST_SUITE_P(
    Stores, UserStoreContractTest,
    ::testing::Values(
        UserStoreKind{"Memory",
                      [] { return std::make_unique<MemoryHarness>(); }},
        UserStoreKind{"Pg", [] { return std::make_unique<PgHarness>(); }}),
    [](const ::testing::TestParamInfo<UserStoreKind>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace evrouter::testing
