build2/lib/support_io.o: lib/support_io.c lib/support_io.h
lib/support_io.h:
