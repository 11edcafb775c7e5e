build2/lib/ktls_hkdf.o: lib/ktls_hkdf.c lib/ktls_hkdf.h
lib/ktls_hkdf.h:
