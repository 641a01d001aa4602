// The data dir lock: one holder at a time, a clear error naming the holder's
// pid, and the lock gone with its holder (object or process).
#include "util/dir_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testing.h"

namespace ss {
namespace {

TEST(DirLock, OneHolderAtATime) {
  ss::testing::TempDir dir;
  const std::string data = dir / "data";
  auto first = DirLock::Acquire(data);  // creates the directory
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto second = DirLock::Acquire(data);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
  EXPECT_NE(second.status().message().find("the data dir " + data + " is in use"), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("(pid " + std::to_string(getpid()) + ")"), std::string::npos)
      << second.status().message();
  first->reset();
  EXPECT_TRUE(DirLock::Acquire(data).ok());
}

TEST(DirLock, ADeadHolderLeavesNoLock) {
  ss::testing::TempDir dir;
  const std::string data = dir / "data";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    auto l = DirLock::Acquire(data);
    char c = l.ok() ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();  // holds the lock until killed
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto busy = DirLock::Acquire(data);
  ASSERT_FALSE(busy.ok());
  EXPECT_NE(busy.status().message().find("(pid " + std::to_string(child) + ")"), std::string::npos)
      << busy.status().message();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(DirLock::Acquire(data).ok());
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace ss
