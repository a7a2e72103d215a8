/*
 * hangar guest agent: PID 1 of the microVM after /init. Runs the host's commands, feeds their stdin and streams their
 * output over the virtio-serial port "hangar.agent". Written in C because the guest has no Node; compiled statically by
 * `hangar vm build`. The wire format is documented in agent-protocol.ts and must stay in step with it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROTOCOL_VERSION 3
#define MAX_PAYLOAD (1u << 20)
#define MAX_EXECS 16

enum {
  T_PING = 0x01, T_MOUNT = 0x02, T_EXEC = 0x03, T_SIGNAL = 0x04, T_SEED = 0x05, T_STDIN = 0x06,
  T_READY = 0x80, T_PONG = 0x81, T_STDOUT = 0x82, T_STDERR = 0x83, T_EXIT = 0x84, T_REPLY = 0x85, T_STDIN_ACK = 0x86,
};

struct exec_state {
  uint32_t id;
  pid_t pid; /* 0 once reaped */
  int out, err; /* -1 once at EOF */
  int in; /* the stdin pipe's write end, nonblocking; -1 once closed */
  /* The one stdin chunk the host may have outstanding, until the pipe took all of it. */
  char *pending;
  uint32_t pending_length, pending_written;
  int is_input_ended; /* end of input came while a chunk was pending */
  int status, reaped, killed, used;
};

static int port = -1;
static struct exec_state execs[MAX_EXECS];
extern char **environ;

static void write_all(const void *data, size_t length) {
  const char *p = data;
  while (length > 0) {
    ssize_t n = write(port, p, length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      /* The port is nonblocking: a host that reads more slowly than we write is waited for, unless it hung up. */
      struct pollfd pfd = {port, POLLOUT, 0};
      if (poll(&pfd, 1, -1) < 0 || !(pfd.revents & (POLLHUP | POLLERR))) continue;
    }
    if (n <= 0) _exit(3); /* the host is gone: the VM is useless, panic=-1 ends it */
    p += n;
    length -= (size_t)n;
  }
}

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static uint32_t get_u32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void send_frame(uint8_t type, uint32_t id, const void *payload, uint32_t length) {
  unsigned char header[9];
  header[0] = type;
  put_u32(header + 1, id);
  put_u32(header + 5, length);
  write_all(header, sizeof header);
  if (length) write_all(payload, length);
}

static void send_reply(uint32_t id, int error, const char *message) {
  char buffer[600];
  size_t length = strlen(message) > 590 ? 590 : strlen(message);
  put_u32((unsigned char *)buffer, (uint32_t)error);
  memcpy(buffer + 4, message, length);
  send_frame(T_REPLY, id, buffer, (uint32_t)(4 + length));
}

static void send_hello(uint8_t type, uint32_t id) {
  struct utsname u;
  char buffer[4 + sizeof u.release];
  uname(&u);
  put_u32((unsigned char *)buffer, PROTOCOL_VERSION);
  size_t length = strlen(u.release);
  memcpy(buffer + 4, u.release, length);
  send_frame(type, id, buffer, (uint32_t)(4 + length));
}

static int read_exact(void *data, size_t length) {
  char *p = data;
  while (length > 0) {
    ssize_t n = read(port, p, length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd pfd = {port, POLLIN, 0};
      poll(&pfd, 1, -1);
      continue;
    }
    if (n <= 0) return -1;
    p += n;
    length -= (size_t)n;
  }
  return 0;
}

static int make_dirs(const char *path) {
  char buffer[4096];
  snprintf(buffer, sizeof buffer, "%s", path);
  for (char *p = buffer + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buffer, 0755) < 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(buffer, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static void handle_mount(uint32_t id, char *payload, uint32_t length) {
  char *tag = payload;
  char *target = memchr(payload, 0, length);
  if (!target || target + 1 >= payload + length) return send_reply(id, EINVAL, "mount: expected tag and target");
  target++;
  if (make_dirs(target) < 0) return send_reply(id, errno, strerror(errno));
  if (mount(tag, target, "9p", 0, "trans=virtio,version=9p2000.L,msize=262144,cache=none") < 0)
    return send_reply(id, errno, strerror(errno));
  send_reply(id, 0, "");
}

/*
 * A VM restored from a snapshot is a clone: its CRNG state and wall clock are the template's. The host's bytes are
 * credited and the CRNG reseeded from them at once (not at the next scheduled reseed), then the clock is set.
 */
static void handle_seed(uint32_t id, char *payload, uint32_t length) {
  if (length < 12 || length - 12 > 512) return send_reply(id, EINVAL, "seed: expected time and up to 512 bytes");
  unsigned char *p = (unsigned char *)payload;
  struct timespec now = {
    .tv_sec = (time_t)(((uint64_t)get_u32(p) << 32) | get_u32(p + 4)),
    .tv_nsec = (long)get_u32(p + 8),
  };
  uint32_t bytes = length - 12;
  struct { struct rand_pool_info info; uint32_t words[128]; } entropy;
  entropy.info.entropy_count = (int)(bytes * 8);
  entropy.info.buf_size = (int)bytes;
  memcpy(entropy.info.buf, p + 12, bytes);
  int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return send_reply(id, errno, "seed: /dev/urandom");
  int failed = ioctl(fd, RNDADDENTROPY, &entropy.info) < 0 || ioctl(fd, RNDRESEEDCRNG) < 0;
  int code = errno;
  close(fd);
  if (failed) return send_reply(id, code, "seed: reseeding the CRNG failed");
  if (clock_settime(CLOCK_REALTIME, &now) < 0) return send_reply(id, errno, "seed: clock_settime failed");
  send_reply(id, 0, "");
}

/* Splits `count` NUL-terminated strings off *cursor into a NULL-terminated array. */
static char **take_strings(char **cursor, char *end, uint32_t count) {
  if (count > 65536) return NULL;
  char **list = calloc(count + 1, sizeof *list);
  for (uint32_t i = 0; i < count; i++) {
    char *nul = *cursor < end ? memchr(*cursor, 0, (size_t)(end - *cursor)) : NULL;
    if (!nul) { free(list); return NULL; }
    list[i] = *cursor;
    *cursor = nul + 1;
  }
  return list;
}

static void handle_exec(uint32_t id, char *payload, uint32_t length) {
  struct exec_state *slot = NULL;
  for (int i = 0; i < MAX_EXECS; i++) if (!execs[i].used) { slot = &execs[i]; break; }
  if (!slot) return send_reply(id, EBUSY, "too many concurrent execs");
  if (length < 8) return send_reply(id, EINVAL, "exec: short payload");
  uint32_t argc = get_u32((unsigned char *)payload), envc = get_u32((unsigned char *)payload + 4);
  char *cursor = payload + 8, *end = payload + length;
  char **cwd = take_strings(&cursor, end, 1);
  char **argv = cwd ? take_strings(&cursor, end, argc) : NULL;
  char **envp = argv ? take_strings(&cursor, end, envc) : NULL;
  if (!envp || argc == 0) {
    free(cwd); free(argv);
    return send_reply(id, EINVAL, "exec: malformed cwd/argv/env");
  }
  /* CLOEXEC: another exec's child holding this stdin's write end would keep it from ever seeing EOF. */
  int in[2], out[2], err[2], status[2];
  pipe2(in, O_CLOEXEC); pipe2(out, O_CLOEXEC); pipe2(err, O_CLOEXEC); pipe2(status, O_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    /* Its own session and process group, so SIGNAL reaches everything the step started. */
    setsid();
    dup2(in[0], 0); dup2(out[1], 1); dup2(err[1], 2);
    signal(SIGPIPE, SIG_DFL); /* an ignored signal stays ignored across exec: `yes | head` must end */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    const char *stage = "chdir";
    if (chdir(cwd[0]) == 0) {
      stage = "exec";
      environ = envp; /* execvp searches the step's PATH, not the agent's */
      execvp(argv[0], argv);
    }
    int code = errno;
    char message[512];
    int n = snprintf(message, sizeof message, "%s %s: %s", stage, stage[0] == 'c' ? cwd[0] : argv[0], strerror(code));
    write(status[1], message, (size_t)n);
    _exit(127);
  }
  close(in[0]); close(out[1]); close(err[1]); close(status[1]);
  char message[512];
  ssize_t n;
  do n = read(status[0], message, sizeof message - 1); while (n < 0 && errno == EINTR);
  close(status[0]);
  free(cwd); free(argv); free(envp);
  if (n > 0) {
    message[n] = 0;
    close(in[1]); close(out[0]); close(err[0]);
    waitpid(pid, NULL, 0);
    return send_reply(id, ENOENT, message);
  }
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  *slot = (struct exec_state){.id = id, .pid = pid, .in = in[1], .out = out[0], .err = err[0], .used = 1};
  send_reply(id, 0, "");
}

static struct exec_state *find_exec(uint32_t id) {
  for (int i = 0; i < MAX_EXECS; i++) if (execs[i].used && execs[i].id == id) return &execs[i];
  return NULL;
}

static void send_stdin_ack(uint32_t id, int is_closed) {
  unsigned char payload[4];
  put_u32(payload, (uint32_t)is_closed);
  send_frame(T_STDIN_ACK, id, payload, sizeof payload);
}

/* The process closed its stdin or exited: a pending chunk is dropped and acknowledged, so the host stops sending. */
static void close_stdin(struct exec_state *e) {
  if (e->in >= 0) { close(e->in); e->in = -1; }
  if (!e->pending) return;
  free(e->pending);
  e->pending = NULL;
  send_stdin_ack(e->id, 1);
}

/* Writes as much of the pending chunk as the pipe takes now; never blocks, so output and SIGNAL go on meanwhile. */
static void pump_stdin(struct exec_state *e) {
  while (e->pending_written < e->pending_length) {
    ssize_t n = write(e->in, e->pending + e->pending_written, e->pending_length - e->pending_written);
    if (n > 0) { e->pending_written += (uint32_t)n; continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    return close_stdin(e); /* EPIPE: nobody reads it any more */
  }
  free(e->pending);
  e->pending = NULL;
  send_stdin_ack(e->id, 0);
  if (e->is_input_ended) close_stdin(e);
}

static void handle_stdin(uint32_t id, char *payload, uint32_t length) {
  struct exec_state *e = find_exec(id);
  /* An exec that finished, or whose stdin is closed, takes no more input; a chunk still gets its answer. */
  if (!e || e->in < 0) {
    if (length) send_stdin_ack(id, 1);
    return;
  }
  if (length == 0) {
    if (e->pending) e->is_input_ended = 1;
    else close_stdin(e);
    return;
  }
  /* The host waits for each acknowledgement; a second chunk before it is a broken host, refused, not queued. */
  if (e->pending) return send_stdin_ack(id, 1);
  e->pending = malloc(length);
  if (!e->pending) return send_stdin_ack(id, 1);
  memcpy(e->pending, payload, length);
  e->pending_length = length;
  e->pending_written = 0;
  pump_stdin(e);
}

static void finish_if_done(struct exec_state *e) {
  if (!e->reaped) return;
  /* After KILL, a process that left the group may hold the pipes forever: stop waiting for it. */
  if (e->killed) {
    if (e->out >= 0) { close(e->out); e->out = -1; }
    if (e->err >= 0) { close(e->err); e->err = -1; }
  }
  if (e->out >= 0 || e->err >= 0) return;
  unsigned char payload[8];
  int code = WIFEXITED(e->status) ? WEXITSTATUS(e->status) : -1;
  int signo = WIFSIGNALED(e->status) ? WTERMSIG(e->status) : 0;
  put_u32(payload, (uint32_t)code);
  put_u32(payload + 4, (uint32_t)signo);
  send_frame(T_EXIT, e->id, payload, sizeof payload);
  e->used = 0;
}

static void handle_signal(uint32_t id, char *payload, uint32_t length) {
  struct exec_state *e = find_exec(id);
  if (!e || length < 4) return;
  int signo = (int)get_u32((unsigned char *)payload);
  if (signo == SIGKILL) e->killed = 1;
  if (!e->reaped) kill(-e->pid, signo);
  else if (signo == SIGKILL) kill(-e->pid, signo), finish_if_done(e);
}

static void drain(struct exec_state *e, int *fd, uint8_t type) {
  static char buffer[65536];
  for (;;) {
    ssize_t n = read(*fd, buffer, sizeof buffer);
    if (n > 0) { send_frame(type, e->id, buffer, (uint32_t)n); continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    close(*fd);
    *fd = -1;
    return;
  }
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < MAX_EXECS; i++) {
      if (execs[i].used && execs[i].pid == pid && !execs[i].reaped) {
        execs[i].reaped = 1;
        execs[i].status = status;
        close_stdin(&execs[i]); /* what it left unread is dropped, even if a child of it still holds the pipe */
      }
    }
  }
}

static int open_port(void) {
  DIR *dir = opendir("/sys/class/virtio-ports");
  struct dirent *entry;
  while (dir && (entry = readdir(dir))) {
    char path[300], name[64] = {0};
    snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", entry->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    if (fgets(name, sizeof name, f) && strncmp(name, "hangar.agent", 12) == 0) {
      fclose(f);
      snprintf(path, sizeof path, "/dev/%s", entry->d_name);
      closedir(dir);
      return open(path, O_RDWR | O_CLOEXEC);
    }
    fclose(f);
  }
  if (dir) closedir(dir);
  return -1;
}

int main(void) {
  for (int attempt = 0; port < 0 && attempt < 100; attempt++) {
    port = open_port();
    if (port < 0) usleep(20000);
  }
  if (port < 0) { fprintf(stderr, "hangar-agent: no virtio port named hangar.agent\n"); return 2; }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN); /* a process that closed its stdin is an EPIPE to handle, not the end of PID 1 */
  int children = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  fcntl(port, F_SETFL, O_NONBLOCK);
  send_hello(T_READY, 0);
  char *payload = malloc(MAX_PAYLOAD);
  for (;;) {
    struct pollfd fds[2 + 3 * MAX_EXECS];
    int count = 0;
    fds[count++] = (struct pollfd){port, POLLIN, 0};
    fds[count++] = (struct pollfd){children, POLLIN, 0};
    for (int i = 0; i < MAX_EXECS; i++) {
      struct exec_state *e = &execs[i];
      fds[count++] = (struct pollfd){e->used ? e->out : -1, POLLIN, 0};
      fds[count++] = (struct pollfd){e->used ? e->err : -1, POLLIN, 0};
      fds[count++] = (struct pollfd){e->used && e->pending ? e->in : -1, POLLOUT, 0};
    }
    if (poll(fds, (nfds_t)count, -1) < 0) continue;
    for (int i = 0; i < MAX_EXECS; i++) {
      struct exec_state *e = &execs[i];
      if (!e->used) continue;
      if (e->out >= 0 && fds[2 + 3 * i].revents) drain(e, &e->out, T_STDOUT);
      if (e->err >= 0 && fds[3 + 3 * i].revents) drain(e, &e->err, T_STDERR);
      if (e->pending && fds[4 + 3 * i].revents) pump_stdin(e);
    }
    if (fds[1].revents) {
      struct signalfd_siginfo info;
      while (read(children, &info, sizeof info) > 0) {}
      reap();
    }
    for (int i = 0; i < MAX_EXECS; i++) if (execs[i].used) finish_if_done(&execs[i]);
    if (!(fds[0].revents & POLLIN)) continue;
    unsigned char header[9];
    if (read_exact(header, sizeof header) < 0) { usleep(10000); continue; }
    uint32_t id = get_u32(header + 1), length = get_u32(header + 5);
    if (length > MAX_PAYLOAD || read_exact(payload, length) < 0) return 3;
    switch (header[0]) {
      case T_PING: send_hello(T_PONG, id); break;
      case T_MOUNT: handle_mount(id, payload, length); break;
      case T_EXEC: handle_exec(id, payload, length); break;
      case T_SIGNAL: handle_signal(id, payload, length); break;
      case T_SEED: handle_seed(id, payload, length); break;
      case T_STDIN: handle_stdin(id, payload, length); break;
      default: send_reply(id, EINVAL, "unknown frame type");
    }
  }
}
