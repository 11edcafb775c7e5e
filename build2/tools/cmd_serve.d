build2/tools/cmd_serve.o: tools/cmd_serve.c tools/cli.h tools/http.h \
 lib/ktls.h lib/ktls_proto.h lib/ktls.h lib/support_io.h
tools/cli.h:
tools/http.h:
lib/ktls.h:
lib/ktls_proto.h:
lib/ktls.h:
lib/support_io.h:
