build2/tests/unit/test_http.o: tests/unit/test_http.c \
 tests/unit/../../tools/http.h
tests/unit/../../tools/http.h:
