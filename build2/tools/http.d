build2/tools/http.o: tools/http.c tools/http.h lib/ktls.h
tools/http.h:
lib/ktls.h:
