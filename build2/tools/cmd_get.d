build2/tools/cmd_get.o: tools/cmd_get.c tools/cli.h tools/http.h \
 lib/ktls.h lib/support_io.h
tools/cli.h:
tools/http.h:
lib/ktls.h:
lib/support_io.h:
