// Entry point of the `keel` server binary.
#include "postmaster/postmaster.h"

int main(int argc, char** argv) { return keel::postmaster::PostmasterMain(argc, argv); }
