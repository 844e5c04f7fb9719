/* Diagnosis shim for dockside-bench (not part of Dockside): sets TCP_NODELAY on every socket the
 * process accepts, which is what the gateway's HTTP listener does not do yet. Preloaded into a
 * second daemon, it shows what that one-line fix gives:
 *   axum::serve(listener.tap_io(|tcp| { let _ = tcp.set_nodelay(true); }), router)
 * Built by scripts/bench into target/bench-peers/nodelay.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  static int (*real)(int, struct sockaddr *, socklen_t *, int);
  if (!real) real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  int s = real(fd, addr, len, flags);
  if (s >= 0) {
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return s;
}
