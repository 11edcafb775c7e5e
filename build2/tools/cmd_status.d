build2/tools/cmd_status.o: tools/cmd_status.c tools/cli.h \
 lib/ktls_proto.h lib/ktls.h
tools/cli.h:
lib/ktls_proto.h:
lib/ktls.h:
