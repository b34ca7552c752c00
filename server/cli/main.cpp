#include "cli/cli.hpp"

int main(int argc, char** argv) {
  return mailprune::cli::run(argc, argv);
}
