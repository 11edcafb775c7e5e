build2/tools/daemon_reach.o: tools/daemon_reach.c tools/cli.h lib/ktls.h \
 lib/ktls_proto.h lib/ktls.h
tools/cli.h:
lib/ktls.h:
lib/ktls_proto.h:
lib/ktls.h:
