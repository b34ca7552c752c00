// The archive store on a temp folder: content in = content out, named by its SHA-256 (computed
// here with OpenSSL directly, not with the store's hasher); one file per distinct content; a hash
// mismatch stores nothing; leftovers of a killed writer are cleaned; threads storing the same
// content at once; private permissions; damage is detected and never handed out as a whole file.
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "archive/store.hpp"

namespace mailprune::archive {
namespace {

namespace fs = std::filesystem;

Sha256 independent_sha256(const std::string& content) {
  Sha256 out{};
  SHA256(reinterpret_cast<const unsigned char*>(content.data()), content.size(), out.data());
  return out;
}

std::string random_content(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

std::size_t count_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) n += entry.is_regular_file();
  return n;
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class Store : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mp-archive-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    root_ = dir_ / "data" / "archive";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string read_all(const ArchiveStore& store, const Sha256& sha) {
    std::string out;
    EXPECT_TRUE(store.read(sha, [&](std::string_view chunk) {
      out.append(chunk);
      return true;
    }));
    return out;
  }

  fs::path dir_;
  fs::path root_;
};

TEST_F(Store, RoundTripStreamedInChunks) {
  ArchiveStore store(root_);
  std::string content = random_content(1'300'000, 1);
  ArchiveStore::Writer writer = store.writer();
  // Uneven chunks, as a connector delivers them.
  for (std::size_t at = 0, step = 1; at < content.size(); at += step, step = step * 3 % 70'001 + 1) {
    writer.write(std::string_view(content).substr(at, step));
  }
  EXPECT_EQ(writer.bytes_written(), content.size());
  StoredObject stored = writer.commit();

  Sha256 expected = independent_sha256(content);
  EXPECT_EQ(stored.sha256, expected);
  EXPECT_EQ(stored.size, content.size());
  EXPECT_FALSE(stored.already_stored);
  std::string hex = to_hex(expected);
  EXPECT_EQ(store.object_path(expected), root_ / "objects" / hex.substr(0, 2) / hex.substr(2, 2) / hex);
  EXPECT_TRUE(fs::is_regular_file(store.object_path(expected)));
  EXPECT_TRUE(store.exists(expected));
  EXPECT_EQ(store.size(expected), content.size());
  EXPECT_EQ(store.verify(expected), ObjectState::ok);
  EXPECT_EQ(read_all(store, expected), content);
  EXPECT_EQ(count_files(root_ / "tmp"), 0u);

  // A second store on the same root sees it.
  ArchiveStore reopened(root_);
  EXPECT_EQ(read_all(reopened, expected), content);
}

TEST_F(Store, EmptyContent) {
  ArchiveStore store(root_);
  StoredObject stored = store.store("");
  EXPECT_EQ(stored.sha256, independent_sha256(""));
  EXPECT_EQ(stored.size, 0u);
  int chunks = 0;
  EXPECT_TRUE(store.read(stored.sha256, [&](std::string_view) { return ++chunks, true; }));
  EXPECT_EQ(chunks, 0);
  EXPECT_EQ(store.verify(stored.sha256), ObjectState::ok);
}

TEST_F(Store, DuplicateContentIsStoredOnce) {
  ArchiveStore store(root_);
  std::string content = random_content(200'000, 2);
  StoredObject first = store.store(content);
  struct stat before {};
  ASSERT_EQ(::stat(store.object_path(first.sha256).c_str(), &before), 0);

  ArchiveStore::Writer writer = store.writer();
  writer.write(std::string_view(content).substr(0, 10));
  writer.write(std::string_view(content).substr(10));
  StoredObject second = writer.commit(independent_sha256(content));
  EXPECT_TRUE(second.already_stored);
  EXPECT_EQ(second.sha256, first.sha256);
  EXPECT_EQ(second.size, first.size);

  struct stat after {};
  ASSERT_EQ(::stat(store.object_path(first.sha256).c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "the existing file is kept";
  EXPECT_EQ(count_files(root_ / "objects"), 1u);
  EXPECT_EQ(count_files(root_ / "tmp"), 0u);

  store.store(random_content(10, 3));
  EXPECT_EQ(count_files(root_ / "objects"), 2u);
}

TEST_F(Store, HashMismatchStoresNothing) {
  ArchiveStore store(root_);
  std::string content = "the attachment as read";
  Sha256 other = independent_sha256("the attachment as inventoried");
  try {
    store.store(content, other);
    FAIL() << "a mismatching hash was accepted";
  } catch (const ArchiveError& e) {
    EXPECT_EQ(e.kind(), ArchiveError::Kind::hash_mismatch);
    EXPECT_NE(std::string(e.what()).find(to_hex(other)), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store.exists(independent_sha256(content)));
  EXPECT_FALSE(store.exists(other));
  EXPECT_EQ(count_files(root_), 0u);
}

TEST_F(Store, AbandonedWriterLeavesNothing) {
  ArchiveStore store(root_);
  {
    ArchiveStore::Writer writer = store.writer();
    writer.write("half of it");
    EXPECT_EQ(count_files(root_ / "tmp"), 1u);
  }
  EXPECT_EQ(count_files(root_), 0u);
  ArchiveStore::Writer writer = store.writer();
  writer.write("x");
  writer.abort();
  writer.abort();
  EXPECT_THROW(writer.commit(), ArchiveError);
  EXPECT_EQ(count_files(root_), 0u);
}

// A writer process killed in the middle leaves its temporary file; a store opened later removes it
// once it is an hour old, and leaves younger ones (a writer may still be at work).
TEST_F(Store, LeftoversOfAKilledWriterAreCleaned) {
  ArchiveStore store(root_);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(ready[0]);
    ArchiveStore child_store(root_);
    ArchiveStore::Writer writer = child_store.writer();
    writer.write(std::string(100'000, 'x'));
    (void)!::write(ready[1], "1", 1);
    ::pause();  // killed here, mid-write
    ::_exit(0);
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);

  std::vector<fs::path> leftovers;
  for (const auto& entry : fs::directory_iterator(root_ / "tmp")) leftovers.push_back(entry.path());
  ASSERT_EQ(leftovers.size(), 1u);
  // A fresh leftover stays.
  EXPECT_EQ(ArchiveStore(root_).leftovers_removed(), 0u);
  EXPECT_TRUE(fs::exists(leftovers[0]));

  // Two hours later it goes; a younger file written meanwhile stays.
  fs::last_write_time(leftovers[0], fs::file_time_type::clock::now() - std::chrono::hours(2));
  fs::path young = root_ / "tmp" / "object-young";
  std::ofstream(young) << "still being written";
  fs::last_write_time(young, fs::file_time_type::clock::now() - std::chrono::minutes(50));
  ArchiveStore reopened(root_);
  EXPECT_EQ(reopened.leftovers_removed(), 1u);
  EXPECT_FALSE(fs::exists(leftovers[0]));
  EXPECT_TRUE(fs::exists(young));
  EXPECT_EQ(count_files(root_ / "objects"), 0u);
}

TEST_F(Store, ThreadsStoringTheSameContentAtOnce) {
  ArchiveStore store(root_);
  constexpr int kThreads = 4;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    std::string content = random_content(300'000 + static_cast<std::size_t>(round), 100 + round);
    Sha256 expected = independent_sha256(content);
    std::atomic<int> waiting{kThreads};
    std::vector<StoredObject> results(kThreads);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        try {
          ArchiveStore::Writer writer = store.writer();
          writer.write(std::string_view(content).substr(0, 150'000));
          waiting.fetch_sub(1);
          while (waiting.load() > 0) std::this_thread::yield();  // commit together
          writer.write(std::string_view(content).substr(150'000));
          results[t] = writer.commit(expected);
        } catch (const std::exception& e) {
          errors[t] = e.what();
        }
      });
    }
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < kThreads; ++t) {
      EXPECT_EQ(errors[t], "");
      EXPECT_EQ(results[t].sha256, expected);
      EXPECT_EQ(results[t].size, content.size());
    }
    EXPECT_EQ(store.verify(expected), ObjectState::ok);
    EXPECT_EQ(read_all(store, expected), content);
  }
  EXPECT_EQ(count_files(root_ / "objects"), static_cast<std::size_t>(kRounds));
  EXPECT_EQ(count_files(root_ / "tmp"), 0u);
}

TEST_F(Store, FilesArePrivate) {
  ArchiveStore store(root_);
  StoredObject stored = store.store("private mail");
  fs::path object = store.object_path(stored.sha256);
  EXPECT_EQ(mode_of(object), 0600u);
  EXPECT_EQ(mode_of(object.parent_path()), 0700u);
  EXPECT_EQ(mode_of(object.parent_path().parent_path()), 0700u);
  EXPECT_EQ(mode_of(root_ / "objects"), 0700u);
  EXPECT_EQ(mode_of(root_ / "tmp"), 0700u);
  EXPECT_EQ(mode_of(root_), 0700u);
  ArchiveStore::Writer writer = store.writer();
  writer.write("in progress");
  for (const auto& entry : fs::directory_iterator(root_ / "tmp")) EXPECT_EQ(mode_of(entry.path()), 0600u);
}

// Bit rot: verify() says so, read() never hands out the whole damaged file (its last chunk is
// withheld), and storing the same content again puts a good copy in place.
TEST_F(Store, DamageIsDetectedAndRepairedByTheNextCopy) {
  ArchiveStore store(root_);
  std::string content = random_content(700'000, 4);  // three read chunks
  StoredObject stored = store.store(content);
  fs::path object = store.object_path(stored.sha256);
  {
    std::fstream file(object, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(12345);
    file.put(static_cast<char>(content[12345] ^ 0x01));
  }
  EXPECT_EQ(store.verify(stored.sha256), ObjectState::corrupt);

  std::size_t delivered = 0;
  try {
    store.read(stored.sha256, [&](std::string_view chunk) {
      delivered += chunk.size();
      return true;
    });
    FAIL() << "a damaged object was read without error";
  } catch (const ArchiveError& e) {
    EXPECT_EQ(e.kind(), ArchiveError::Kind::corrupt);
  }
  EXPECT_GT(delivered, 0u);
  EXPECT_LT(delivered, content.size());

  StoredObject again = store.store(content);
  EXPECT_FALSE(again.already_stored);
  EXPECT_EQ(store.verify(stored.sha256), ObjectState::ok);
  EXPECT_EQ(read_all(store, stored.sha256), content);
}

TEST_F(Store, MissingObjects) {
  ArchiveStore store(root_);
  Sha256 absent = independent_sha256("never stored");
  EXPECT_FALSE(store.exists(absent));
  EXPECT_FALSE(store.size(absent));
  EXPECT_EQ(store.verify(absent), ObjectState::missing);
  try {
    store.read(absent, [](std::string_view) { return true; });
    FAIL();
  } catch (const ArchiveError& e) {
    EXPECT_EQ(e.kind(), ArchiveError::Kind::not_found);
  }
}

TEST_F(Store, SinkCanStopARead) {
  ArchiveStore store(root_);
  StoredObject stored = store.store(random_content(600'000, 5));
  int chunks = 0;
  EXPECT_FALSE(store.read(stored.sha256, [&](std::string_view) { return ++chunks < 1; }));
  EXPECT_EQ(chunks, 1);
}

TEST_F(Store, DefaultRootIsUnderTheDataDir) {
  config::Config config;
  config.data_dir = "/var/lib/mailprune";
  EXPECT_EQ(ArchiveStore::default_root(config), fs::path("/var/lib/mailprune/archive"));
  config.archive.dir = "/srv/archive";
  EXPECT_EQ(ArchiveStore::default_root(config), fs::path("/srv/archive"));
}

TEST(ContentHash, HexRoundTripIsStrict) {
  Sha256 sha = independent_sha256("abc");
  EXPECT_EQ(to_hex(sha), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_from_hex(to_hex(sha)), sha);
  EXPECT_FALSE(sha256_from_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  EXPECT_FALSE(sha256_from_hex("ba7816"));
  EXPECT_EQ(sha256_of("abc"), sha);
}

}  // namespace
}  // namespace mailprune::archive
